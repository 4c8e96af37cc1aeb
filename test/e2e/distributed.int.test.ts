/**
 * Distributed mode: every role is its own `./bin/metergate` process, as an operator deploys them —
 * `metergate simulate` (5 SDM630s on one Modbus TCP port), `metergate edge --config` polling them,
 * a broker, and `metergate gateway --store influx` on real PostgreSQL (fresh database), Redis (BullMQ
 * jobs) and InfluxDB (v1 API, a database of its own). Run twice: with `metergate broker` and a
 * credentials file made by `metergate broker passwd`, then with Mosquitto as the external broker.
 *
 * Proved each time, the two chains across processes:
 * - readings reach InfluxDB (read back with InfluxQL, independently of our store code) and
 *   `/api/meters`; the postpaid chain — rollups in PostgreSQL with a seeded prior-year jump, today's
 *   row from the real readings, anomaly scan and signed webhook notification as BullMQ jobs on Redis;
 * - the prepaid chain — vend over the gateway's HTTP API, token through the broker to an MQTT
 *   prepaid meter (simulators), accepted, low credit on the live stream, advance, recovery, statement.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoLedger } from '../../cli/demo/demo-ledger.js';
import { openDatabase, SqlRollupStore, type SqlDatabase } from '../../gateway/index.js';
import { AesGcmSecurityModule, KeyVault } from '../../gateway/prepaid/vending/index.js';
import { MqttPrepaidMeter, SimClock } from '../../simulators/index.js';
import { createTestDatabase } from '../support/postgres.js';
import {
  SERVICES,
  freePort,
  requireInflux,
  requireMosquitto,
  requirePostgres,
  requireRedis,
} from '../support/services.js';
import { runAnomalyToWebhook, seedPriorYearJump, waitTodayRow } from './support/anomaly-chain.js';
import { getJson, waitFor, type MeterRow } from './support/http.js';
import { runPrepaidChain } from './support/prepaid-chain.js';
import {
  removeTempDirs,
  spawnMetergate,
  stopAll,
  tempDir,
  type MetergateProcess,
} from './support/processes.js';

const METERS = 5;
const EDGE_METERS = Array.from({ length: METERS }, (_, i) => `DIST-${i + 1}`);
const PREPAID = 'PP-D1';
const ANOMALY_METER = EDGE_METERS[0]!;
const LOW_CREDIT_KWH = 5;

async function influxQuery(
  db: string,
  q: string,
): Promise<{
  results: { series?: { tags?: Record<string, string>; values: unknown[][] }[]; error?: string }[];
}> {
  const u = new URL('/query', SERVICES.influx);
  u.searchParams.set('db', db);
  u.searchParams.set('q', q);
  const res = await fetch(u, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`InfluxDB ${res.status}: ${await res.text()}`);
  return (await res.json()) as never;
}

/** `metergate broker passwd --user U --role R` with the password on stdin: one YAML credentials entry. */
async function credentialEntry(
  user: string,
  role: string,
  password: string,
  meters: string[] = [],
): Promise<string> {
  const p = spawnMetergate(
    `passwd-${user}`,
    ['broker', 'passwd', '--user', user, '--role', role, '--meters', meters.join(',')],
    {
      stdin: `${password}\n`,
    },
  );
  expect(await p.exited(60_000)).toBe(0);
  expect(p.stdout()).toContain(`username: ${user}`);
  return p.stdout();
}

interface Scenario {
  label: string;
  mqttUrl: string;
  prefix: string;
  users?: { gateway: string; edge: string; meter: string };
  /** A broker process of the scenario, for its output when something fails. */
  broker?: MetergateProcess;
}

async function runScenario(s: Scenario): Promise<void> {
  const run = randomBytes(4).toString('hex');
  const database = await createTestDatabase(`e2e_dist_${s.label}`);
  const influxDb = `mg_e2e_${s.label}_${run}`;
  const masterKey = randomBytes(32).toString('hex');
  let ledger: SqlDatabase | undefined;
  let meter: MqttPrepaidMeter | undefined;
  const procs: MetergateProcess[] = [];
  try {
    const modbusPort = await freePort();
    const httpPort = await freePort();
    const dir = tempDir(`dist-${s.label}`);
    const auth = (user?: string) => (user ? { username: user, password: passwords.get(user)! } : {});

    const gateway = spawnMetergate(
      `gateway-${s.label}`,
      ['gateway', '--port', String(httpPort), '--store', 'influx', '--client-id', `e2e-gw-${run}`],
      {
        env: {
          DATABASE_URL: database.url,
          REDIS_URL: SERVICES.redis,
          INFLUX_URL: SERVICES.influx,
          INFLUX_DATABASE: influxDb,
          METERGATE_MASTER_KEY: masterKey,
          MQTT_URL: s.mqttUrl,
          MQTT_PREFIX: s.prefix,
          MQTT_USERNAME: s.users?.gateway,
          MQTT_PASSWORD: s.users ? passwords.get(s.users.gateway) : undefined,
          METERGATE_DATA_DIR: join(dir, 'gateway'),
          // The test's webhook receiver listens on loopback over http.
          METERGATE_WEBHOOK_ALLOW_HTTP: 'true',
          METERGATE_WEBHOOK_ALLOW_PRIVATE: 'true',
        },
      },
    );
    const simulate = spawnMetergate(`simulate-${s.label}`, [
      'simulate',
      '--meters',
      String(METERS),
      '--model',
      'sdm630',
      '--modbus-tcp',
      `127.0.0.1:${modbusPort}`,
    ]);
    const edgeConfig = join(dir, 'edge.yaml');
    writeFileSync(
      edgeConfig,
      JSON.stringify({
        // The broker ties an edge's identity to its username: edgeId = username.
        edgeId: s.users?.edge ?? `edge-${s.label}`,
        broker: { url: s.mqttUrl, clientId: `e2e-edge-${run}`, prefix: s.prefix, ...auth(s.users?.edge) },
        outbox: { dir: join(dir, 'outbox') },
        meters: EDGE_METERS.map((id, i) => ({
          id,
          model: 'sdm630',
          interval: 2,
          transport: { type: 'tcp', host: '127.0.0.1', port: modbusPort, unitId: i + 1 },
        })),
      }),
    );
    const edge = spawnMetergate(`edge-${s.label}`, ['edge', '--config', edgeConfig]);
    procs.push(gateway, simulate, edge);

    await simulate.waitForOutput(/serving 5 × sdm630 on modbus-tcp 127\.0\.0\.1:\d+/, 90_000);
    await gateway.waitForOutput(/metergate gateway ready: (\S+) store=influx/, 90_000);
    const url = `http://127.0.0.1:${httpPort}`;

    // Ledger (in the gateway's PostgreSQL, migrated by it): a prepaid meter and role API keys.
    ledger = await openDatabase({ url: database.url });
    const securityModule = AesGcmSecurityModule.fromEnv({ METERGATE_MASTER_KEY: masterKey });
    const { keys, prepaid } = await seedDemoLedger(ledger, new KeyVault(securityModule), [PREPAID]);
    // Postpaid history: two years of daily rollups for DIST-1 with a jump over the last six days, in
    // the gateway's SQL database where its rollup engine adds today's row from the real readings.
    await seedPriorYearJump(new SqlRollupStore({ db: ledger }), ANOMALY_METER);

    // Readings: all five edge meters on /api/meters with a last reading …
    const listed = await waitFor(
      `${METERS} edge meters with readings on /api/meters`,
      async () => {
        const r = await getJson<MeterRow[]>(`${url}/api/meters`, keys.admin);
        if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${r.text.slice(0, 200)}`);
        const rows = r.body.filter((m) => EDGE_METERS.includes(m.id) && m.lastReading);
        return rows.length === METERS ? rows : undefined;
      },
      90_000,
    );
    for (const m of listed) expect(m.lastReading!.values['1-0:1.8.0']).toBeGreaterThan(0);
    // … and in InfluxDB, read with InfluxQL straight from the server.
    const counted = await waitFor(
      'points of every edge meter in InfluxDB',
      async () => {
        const r = await influxQuery(
          influxDb,
          `SELECT count("1-0:1.8.0") FROM reading WHERE time > now() - 1h GROUP BY meter`,
        );
        if (r.results[0]?.error) throw new Error(r.results[0].error);
        const byMeter = new Map(
          (r.results[0]?.series ?? []).map((x) => [x.tags!.meter!, Number(x.values[0]![1])]),
        );
        return EDGE_METERS.every((id) => (byMeter.get(id) ?? 0) >= 2) ? byMeter : undefined;
      },
      60_000,
    );
    expect([...counted.keys()].filter((k) => EDGE_METERS.includes(k)).sort()).toEqual(
      [...EDGE_METERS].sort(),
    );

    // Postpaid chain across processes: today's rollup row of DIST-1 comes from the gateway process
    // (readings via edge → broker → ingest → InfluxDB → rollup engine → PostgreSQL); the anomaly scan
    // and the notification run as BullMQ jobs on the shared Redis and PostgreSQL (a worker in this
    // process, since the gateway process does not register the analytics handlers yet).
    await waitTodayRow(ledger, ANOMALY_METER);
    await runAnomalyToWebhook(ledger, ANOMALY_METER, METERS);

    // Prepaid chain across processes: the meter is a client of the same broker, on simulated time.
    // Up to a month is fast-forwarded to drain the credit: start a month back, so the meter's
    // readings never lie in the future (ingest dead-letters readings more than 5 min ahead).
    const clock = new SimClock({ acceleration: 1, start: Date.now() - 31 * 86_400_000 });
    meter = new MqttPrepaidMeter({
      meterId: PREPAID,
      meterKey: prepaid[0]!.key,
      brokerUrl: s.mqttUrl,
      prefix: s.prefix,
      ...auth(s.users?.meter),
      clock,
      readingIntervalMs: 24 * 3_600_000,
      powerScale: 5,
      lowCreditKwh: LOW_CREDIT_KWH,
    });
    await meter.start();
    await runPrepaidChain({
      url,
      keys,
      customerId: prepaid[0]!.customerId,
      meter,
      clock,
      lowCreditKwh: LOW_CREDIT_KWH,
      query: (sql, params) => ledger!.query(sql, params as unknown[]),
      run: `e2e-dist-${run}`,
    });
    // The prepaid meter's own readings go the same way into InfluxDB.
    await waitFor(
      `${PREPAID} readings in InfluxDB`,
      async () => {
        const r = await influxQuery(
          influxDb,
          `SELECT count("1-0:1.8.0") FROM reading WHERE meter = '${PREPAID}'`,
        );
        return Number(r.results[0]?.series?.[0]?.values[0]?.[1] ?? 0) >= 1 ? true : undefined;
      },
      30_000,
    );

    const health = await getJson<{
      status: string;
      checks: Record<string, { ok: boolean; detail?: string }>;
    }>(`${url}/api/health`);
    expect(health.body.status).toBe('ok');
    expect(health.body.checks.store?.detail).toBe('influx');

    // Graceful shutdown of every role.
    await meter.stop();
    meter = undefined;
    const codes = await Promise.all([
      edge.stop('SIGTERM'),
      simulate.stop('SIGTERM'),
      gateway.stop('SIGTERM'),
    ]);
    expect(codes).toEqual([0, 0, 0]);
  } catch (err) {
    // The roles' own output says which hop broke.
    const tails = [...procs, ...(s.broker ? [s.broker] : [])]
      .map((p) => `--- ${p.name} ---\n${(p.stdout() + p.stderr()).slice(-1500)}`)
      .join('\n');
    throw new Error(`${(err as Error).message}\n${tails}`, { cause: err });
  } finally {
    await meter?.stop().catch(() => {});
    await ledger?.close().catch(() => {});
    await Promise.all(procs.map((p) => p.stop('SIGTERM').catch(() => {})));
    await database.drop();
    await influxQuery(influxDb, `DROP DATABASE ${influxDb}`).catch(() => {});
  }
}

const passwords = new Map<string, string>();

describe('distributed mode: broker, gateway, simulate and edge as separate processes', () => {
  beforeAll(async () => {
    await Promise.all([requirePostgres(), requireRedis(), requireInflux(), requireMosquitto()]);
  });

  afterAll(async () => {
    await stopAll();
    removeTempDirs();
  });

  it('with `metergate broker` and a passwd-made credentials file', async () => {
    const users = { gateway: 'gw-1', edge: 'edge-mgbroker', meter: PREPAID };
    for (const u of Object.values(users)) passwords.set(u, randomBytes(12).toString('base64url'));
    const entries = await Promise.all([
      credentialEntry(users.gateway, 'gateway', passwords.get(users.gateway)!),
      credentialEntry(users.edge, 'edge', passwords.get(users.edge)!, EDGE_METERS),
      credentialEntry(users.meter, 'meter', passwords.get(users.meter)!, [PREPAID]),
    ]);
    const credentials = join(tempDir('dist-credentials'), 'credentials.yaml');
    writeFileSync(credentials, `users:\n${entries.join('')}`);
    const brokerPort = await freePort();
    const prefix = `mge2e-${randomBytes(3).toString('hex')}/v1`;
    const broker = spawnMetergate('broker', [
      'broker',
      '--port',
      String(brokerPort),
      '--credentials',
      credentials,
      '--topic-prefix',
      prefix,
    ]);
    await broker.waitForOutput(/"listening"/, 60_000);
    try {
      await runScenario({
        label: 'mgbroker',
        mqttUrl: `mqtt://127.0.0.1:${brokerPort}`,
        prefix,
        users,
        broker,
      });
    } finally {
      expect(await broker.stop('SIGTERM')).toBe(0);
    }
  });

  it('with Mosquitto as the external broker (unique topic prefix)', async () => {
    await runScenario({
      label: 'mosquitto',
      mqttUrl: SERVICES.mqtt,
      prefix: `mge2e-${randomBytes(4).toString('hex')}/v1`,
    });
  });
});
