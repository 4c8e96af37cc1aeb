import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import { createTestDatabase } from '../../../test/support/postgres.js';
import {
  SERVICES,
  freePort,
  requireCommand,
  requireMosquitto,
  requirePostgres,
} from '../../../test/support/services.js';
import { PgliteWorkerDatabase, PostgresDatabase, type SqlDatabase } from '../../platform/index.js';
import { Gateway } from '../../gateway.js';
import { SqlReadingStore, type ReadingStore } from '../readings/index.js';
import { SqlRollupStore } from '../rollups/index.js';
import { makeReading } from './conformance.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 120_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes readings of several meters at a steady pace, QoS 1, from a persistent session. */
class Publisher {
  sent = new Map<string, number>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  constructor(
    private readonly client: MqttClient,
    private readonly topics: TopicScheme,
    private readonly meters: string[],
    private readonly t0: number,
  ) {}
  start(perMeter: number, intervalMs: number): void {
    this.loop = (async () => {
      for (let i = 0; i < perMeter && !this.stopped; i++) {
        const batch = this.meters.map((m) => {
          this.sent.set(m, i + 1);
          return this.client.publishAsync(
            this.topics.reading(m),
            makeReading(m, i, new Date(this.t0 + i * 60_000)),
            {
              qos: 1,
            },
          );
        });
        await Promise.all(batch);
        await sleep(intervalMs);
      }
    })();
  }
  get total(): number {
    return [...this.sent.values()].reduce((a, b) => a + b, 0);
  }
  async done(): Promise<void> {
    await this.loop;
  }
}

async function expectExactlyOnce(
  store: ReadingStore,
  db: SqlDatabase | undefined,
  pub: Publisher,
  perMeter: number,
) {
  for (const [meter, n] of pub.sent) {
    expect(n).toBe(perMeter);
    await until(`${n} readings of ${meter}`, async () => (await store.count({ meterId: meter })) >= n);
  }
  await sleep(1000); // anything redelivered late would show up as an extra row now (it must not)
  for (const [meter, n] of pub.sent) expect(await store.count({ meterId: meter })).toBe(n);
  if (db) {
    // the rollups saw every delta once: consumption = last − first register value
    const rollups = new SqlRollupStore({ db });
    for (const meter of pub.sent.keys()) {
      const days = await rollups.dailySeries({
        meterId: meter,
        obis: '1-0:1.8.0',
        from: '2026-01-01',
        to: '2026-12-31',
      });
      const total = days.reduce((a, d) => a + d.consumption, 0);
      expect(total).toBeCloseTo((perMeter - 1) * 0.25, 6);
    }
  }
}

function startGatewayProcess(
  config: string,
  clientId: string,
): { child: ChildProcess; ready: Promise<void>; log: () => string } {
  const child = spawn(join(ROOT, 'bin/metergate'), ['gateway', '--config', config, '--client-id', clientId], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('metergate gateway ready')) resolve();
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before ready:\n${out}`)));
  });
  return { child, ready, log: () => out };
}

/** Ends the broker's persistent session of `clientId` (a clean connect), so Mosquitto forgets it. */
async function dropSession(clientId: string): Promise<void> {
  const cleaner = await mqtt.connectAsync(SERVICES.mqtt, { clientId, clean: true });
  await cleaner.endAsync();
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('faults: every published reading is stored exactly once', () => {
  it('survives kill -9 of the gateway process mid-stream (PostgreSQL store, Mosquitto)', async () => {
    await requireMosquitto();
    await requirePostgres();
    const run = randomBytes(3).toString('hex');
    const topics = new TopicScheme(`mgfault-${run}/v1`);
    const dir = mkdtempSync(join(tmpdir(), 'mg-kill-'));
    const t = await createTestDatabase('mg_kill');
    const db = await new PostgresDatabase({ url: t.url }).start();
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      `dataDir: ${dir}\ndatabase:\n  url: ${t.url}\nmqtt:\n  url: ${SERVICES.mqtt}\n  prefix: ${topics.prefix}\nhttp:\n  port: ${await freePort()}\nlog:\n  level: warn\n`,
    );
    const clientId = `gw-kill-${run}`;
    const client = await mqtt.connectAsync(SERVICES.mqtt, { clientId: `pub-kill-${run}`, clean: false });
    let gw = startGatewayProcess(config, clientId);
    try {
      await gw.ready;
      const store = new SqlReadingStore({ db });
      const meters = Array.from({ length: 4 }, (_, i) => `k${i}-${run}`);
      const pub = new Publisher(client, topics, meters, Date.UTC(2026, 10, 1));
      const perMeter = 300;
      pub.start(perMeter, 20);
      await until(
        'a third published and some stored',
        async () => pub.total > 400 && (await store.count()) > 100,
      );
      await killHard(gw.child); // kill -9 mid-stream: nothing flushed, nothing acknowledged after this
      const atKill = await store.count();
      await sleep(2000);
      gw = startGatewayProcess(config, clientId);
      await gw.ready;
      await pub.done();
      expect(atKill).toBeLessThan(pub.total);
      await expectExactlyOnce(store, db, pub, perMeter);
    } finally {
      await killHard(gw.child);
      await client.endAsync();
      await dropSession(clientId);
      await db.close();
      await t.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives its InfluxDB going away for 20 s and coming back (own influxd, Mosquitto)', async () => {
    await requireMosquitto();
    const influxd = requireCommand('influxd', 'influxdb');
    const run = randomBytes(3).toString('hex');
    const dir = mkdtempSync(join(tmpdir(), 'mg-influx-'));
    const [httpPort, rpcPort] = [await freePort(), await freePort()];
    const conf = join(dir, 'influxdb.conf');
    writeFileSync(
      conf,
      [
        'reporting-enabled = false',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        `[meta]\n  dir = "${dir}/meta"`,
        `[data]\n  dir = "${dir}/data"\n  wal-dir = "${dir}/wal"\n  query-log-enabled = false`,
        `[http]\n  bind-address = "127.0.0.1:${httpPort}"\n  log-enabled = false`,
        '[monitor]\n  store-enabled = false',
        '[continuous_queries]\n  enabled = false',
      ].join('\n'),
    );
    let influx: ChildProcess | undefined;
    const startInflux = async () => {
      influx = spawn(influxd, ['-config', conf], { stdio: 'ignore' });
      await until('influxd up', async () => {
        try {
          return (await fetch(`http://127.0.0.1:${httpPort}/ping`)).status === 204;
        } catch {
          return false;
        }
      });
    };
    await startInflux();
    const topics = new TopicScheme(`mgflux-${run}/v1`);
    const clientId = `gw-influx-${run}`;
    const gw = new Gateway({
      store: 'influx',
      influx: { url: `http://127.0.0.1:${httpPort}`, database: 'faults' },
      mqtt: { url: SERVICES.mqtt, prefix: topics.prefix, clientId },
      http: false,
      ingest: { batchSize: 1000, batchIntervalMs: 100 },
    });
    const client = await mqtt.connectAsync(SERVICES.mqtt, { clientId: `pub-influx-${run}`, clean: false });
    try {
      await gw.start();
      const store = gw.store!;
      const meters = Array.from({ length: 4 }, (_, i) => `f${i}-${run}`);
      const pub = new Publisher(client, topics, meters, Date.UTC(2026, 10, 2));
      const perMeter = 400;
      pub.start(perMeter, 50);
      await until('some stored', async () => (await store.count()) > 200);
      await killHard(influx!);
      const errorsBefore = gw.ingest!.snapshot().storeErrors;
      await sleep(20_000);
      expect(gw.ingest!.snapshot().storeErrors).toBeGreaterThan(errorsBefore);
      expect(gw.ingest!.snapshot().buffered).toBeGreaterThan(0);
      await startInflux();
      await pub.done();
      await expectExactlyOnce(store, undefined, pub, perMeter);
      const rollups = gw.rollups!;
      const days = await rollups.dailySeries({
        meterId: meters[0]!,
        obis: '1-0:1.8.0',
        from: '2026-11-01',
        to: '2026-11-30',
      });
      expect(days.reduce((a, d) => a + d.consumption, 0)).toBeCloseTo((perMeter - 1) * 0.25, 6);
    } finally {
      await gw.stop();
      await client.endAsync();
      await dropSession(clientId);
      if (influx) await killHard(influx);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives its embedded PGlite thread dying mid-stream, twice (file-backed store, Mosquitto)', async () => {
    await requireMosquitto();
    const run = randomBytes(3).toString('hex');
    const dir = mkdtempSync(join(tmpdir(), 'mg-pglite-crash-'));
    const topics = new TopicScheme(`mgpgl-${run}/v1`);
    const clientId = `gw-pgl-${run}`;
    const gw = new Gateway({
      store: 'pglite',
      dataDir: dir,
      mqtt: { url: SERVICES.mqtt, prefix: topics.prefix, clientId },
      http: false,
      ingest: { batchSize: 200, batchIntervalMs: 50 },
    });
    const client = await mqtt.connectAsync(SERVICES.mqtt, { clientId: `pub-pgl-${run}`, clean: false });
    try {
      await gw.start();
      const db = gw.db as PgliteWorkerDatabase;
      expect(db).toBeInstanceOf(PgliteWorkerDatabase);
      // What a WebAssembly trap or an out-of-memory abort would do to the database thread.
      const crash = () => (db as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      const store = gw.store!;
      const meters = Array.from({ length: 4 }, (_, i) => `p${i}-${run}`);
      const pub = new Publisher(client, topics, meters, Date.UTC(2026, 10, 3));
      const perMeter = 300;
      pub.start(perMeter, 20);
      await until('some stored', async () => (await store.count()) > 100);
      await crash();
      await until('a third stored after the restart', async () => (await store.count()) > 400);
      await crash();
      await pub.done();
      await expectExactlyOnce(store, db, pub, perMeter);
      // Two thread deaths, every reading once. Whether a batch was in flight at the instant of a
      // death (counted in storeErrors) is timing: with 20 ms publishes and a fast store both may
      // land between batches (a clean-clone CI run saw 0), so it is not asserted.
      expect(db.restarts).toBe(2);
    } finally {
      await gw.stop();
      await client.endAsync();
      await dropSession(clientId);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
