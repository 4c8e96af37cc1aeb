import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { Gateway } from '../gateway/index.js';
import { TopicScheme } from '../protocol/index.js';
import { BENCH_PASSWORD, meterIds, mosquittoInstalled, startMosquitto, tempDir } from './broker-peers.js';
import { machineInfo } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * `metergate bench scaleout` (issue 23.7): two gateway processes behind Mosquitto on one MQTT 5
 * shared subscription (`$share/ingest/…`, the ingest pipeline's default group), one PostgreSQL.
 * Simulated edges publish readings at QoS 1; a third of the way in, gateway 1 is killed (SIGKILL),
 * two thirds in it is started again with the same client id (its session, and the readings the
 * broker queued for it, are waiting). Reported: the aggregate stored rate, the split between the two,
 * CPU per reading of each process, and, counted in PostgreSQL, readings lost and stored twice.
 */
const CHILD_FLAG = 'MG_BENCH_SCALEOUT_GATEWAY';

interface Report {
  received: number;
  stored: number;
  cpuUs: number;
}

// ---- child: one gateway process ---------------------------------------------------------------
async function gatewayMain(): Promise<void> {
  const cfg = JSON.parse(process.env[CHILD_FLAG]!) as { url: string; databaseUrl: string; clientId: string };
  const gw = new Gateway({
    store: 'postgres',
    databaseUrl: cfg.databaseUrl,
    mqtt: { url: cfg.url, username: 'gw', password: BENCH_PASSWORD, clientId: cfg.clientId },
    http: false,
    ingest: { batchIntervalMs: 50 },
  });
  await gw.start();
  const cpu0 = process.cpuUsage();
  const report = (): Report => {
    const s = gw.ingest!.snapshot();
    const cpu = process.cpuUsage(cpu0);
    return { received: s.received, stored: s.stored, cpuUs: cpu.user + cpu.system };
  };
  setInterval(() => process.send!({ report: report() }), 100);
  process.on('message', async (m: { cmd: string }) => {
    if (m.cmd !== 'stop') return;
    await gw.stop();
    process.send!({ report: report(), stopped: true });
    process.exit(0);
  });
  process.send!({ ready: true });
}

if (process.env[CHILD_FLAG] && process.send) void gatewayMain();

// ---- parent -------------------------------------------------------------------------------------
class GatewayProcess {
  /** The last report of each incarnation (a killed one keeps what it said last). */
  readonly incarnations: Report[] = [];
  private proc: ChildProcess | null = null;

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    const slot = this.incarnations.push({ received: 0, stored: 0, cpuUs: 0 }) - 1;
    const p = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', 'tsx', '--max-semi-space-size=64'],
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.proc = p;
    await new Promise<void>((resolve, reject) => {
      p.once('exit', (code) => reject(new Error(`gateway process exited (${code})`)));
      p.on('message', (m: { ready?: boolean; report?: Report }) => {
        if (m.report) this.incarnations[slot] = m.report;
        if (m.ready) resolve();
      });
    });
  }

  kill(): void {
    this.proc?.removeAllListeners('exit');
    this.proc?.kill('SIGKILL');
    this.proc = null;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.removeAllListeners('exit');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
      p.once('exit', () => (clearTimeout(t), resolve()));
      p.send({ cmd: 'stop' });
    });
    this.proc = null;
  }

  get total(): Report {
    return this.incarnations.reduce(
      (a, r) => ({
        received: a.received + r.received,
        stored: a.stored + r.stored,
        cpuUs: a.cpuUs + r.cpuUs,
      }),
      { received: 0, stored: 0, cpuUs: 0 },
    );
  }
}

function payload(meter: string, seq: number, ts: number): string {
  return (
    `{"v":1,"meter":"${meter}","seq":${seq},"ts":"${new Date(ts).toISOString()}","values":{` +
    `"1-0:1.8.0":${1000 + seq * 0.01},"1-0:1.7.0":${1.2 + (seq % 7) * 0.1},"1-0:32.7.0":${230 + (seq % 5)}},` +
    `"source":"simulator"}`
  );
}

/** Each edge publishes its meters' readings round-robin at QoS 1, `window` unacknowledged at most. */
async function publishFor(
  edges: MqttClient[],
  seconds: number,
  window: number,
  state: Map<string, { seq: number; ts: number }>,
): Promise<number> {
  const scheme = new TopicScheme();
  const end = Date.now() + seconds * 1000;
  let published = 0;
  await Promise.all(
    edges.map(async (client, e) => {
      const meters = meterIds(e);
      let inflight = 0;
      let wake: (() => void) | undefined;
      for (let i = 0; Date.now() < end; i++) {
        if (inflight >= window) {
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        const id = meters[i % meters.length]!;
        const m = state.get(id) ?? { seq: 0, ts: 0 };
        m.seq++;
        m.ts = Math.max(Date.now(), m.ts + 1);
        state.set(id, m);
        inflight++;
        client.publish(scheme.reading(id), payload(id, m.seq, m.ts), { qos: 1 }, (err) => {
          inflight--;
          if (!err) published++;
          wake?.();
        });
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      while (inflight > 0) await new Promise<void>((r) => (wake = r));
    }),
  );
  return published;
}

export const scaleoutBenchmark: Benchmark = {
  name: 'scaleout',
  description:
    'two gateway processes on an MQTT 5 shared subscription behind Mosquitto, one PostgreSQL; one killed and restarted mid-run: rate, split, lost, duplicates',
  options: [
    {
      flags: '--seconds <s>',
      description: 'publishing time (the kill at 1/3, the restart at 2/3)',
      default: '30',
    },
    { flags: '--edges <n>', description: 'publishing edges (10 meters each)', default: '20' },
    { flags: '--window <n>', description: 'unacknowledged QoS 1 publishes per edge', default: '200' },
    {
      flags: '--database-url <url>',
      description: 'PostgreSQL server (a temporary database is created and dropped)',
    },
  ],
  async run(options, ctx) {
    if (!mosquittoInstalled()) throw new Error('bench scaleout needs Mosquitto 2 (Debian package mosquitto)');
    const seconds = Number(options.seconds);
    const edgeCount = Number(options.edges);
    const window = Number(options.window);
    for (const [k, v] of Object.entries({ seconds, edges: edgeCount, window }))
      if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number`);
    const run = randomBytes(3).toString('hex');
    const admin = new URL(
      String(options.databaseUrl ?? ctx.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
    );
    admin.pathname = '/postgres';
    const dbName = `mg_bench_scale_${run}`;
    const adminClient = new pg.Client({ connectionString: admin.toString() });
    await adminClient.connect();
    await adminClient.query(`CREATE DATABASE ${dbName}`);
    const dbUrl = new URL(admin);
    dbUrl.pathname = `/${dbName}`;
    const tmp = tempDir();
    // No bound on what Mosquitto queues for the killed gateway's session (its default drops beyond
    // 1,000; a deployment sizes it for the longest restart it tolerates).
    const broker = await startMosquitto(edgeCount, tmp.dir, 0);
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const gateways = [0, 1].map(
      (i) =>
        new GatewayProcess({
          [CHILD_FLAG]: JSON.stringify({
            url,
            databaseUrl: dbUrl.toString(),
            clientId: `gw:scaleout-${run}-${i}`,
          }),
        }),
    );
    const edges: MqttClient[] = [];
    try {
      // One after the other: the first creates the schema.
      for (const g of gateways) await g.start();
      for (let e = 0; e < edgeCount; e++)
        edges.push(
          await mqtt.connectAsync(url, {
            clientId: `edge-${e}-${run}`,
            username: `edge-${e}`,
            password: BENCH_PASSWORD,
            protocolVersion: 5,
            log: () => {},
          }),
        );
      const state = new Map<string, { seq: number; ts: number }>();
      const started = performance.now();
      const third = (seconds * 1000) / 3;
      const stored = () => gateways.reduce((a, g) => a + g.total.stored, 0);
      const marks: Record<string, { atMs: number; stored: number }> = {};
      const mark = (name: string) =>
        (marks[name] = { atMs: Math.round(performance.now() - started), stored: stored() });
      const killer = (async () => {
        await new Promise((r) => setTimeout(r, third));
        mark('killed');
        gateways[1]!.kill();
        await new Promise((r) => setTimeout(r, third));
        mark('restarting');
        await gateways[1]!.start();
        mark('restarted');
      })();
      const published = await publishFor(edges, seconds, window, state);
      await killer;
      mark('published');
      // Drain: until PostgreSQL holds every published reading, or nothing moves for 15 s.
      const db = new pg.Client({ connectionString: dbUrl.toString() });
      await db.connect();
      const count = async () =>
        Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM readings')).rows[0]!.n);
      let rows = await count();
      let still = Date.now();
      for (let last = rows; rows < published && Date.now() - still < 15_000;) {
        await new Promise((r) => setTimeout(r, 250));
        rows = await count();
        if (rows !== last) {
          last = rows;
          still = Date.now();
        }
      }
      const drainedMs = Math.round(performance.now() - started);
      const distinct = Number(
        (await db.query<{ n: string }>('SELECT count(DISTINCT (meter_id, seq)) AS n FROM readings')).rows[0]!
          .n,
      );
      await db.end();
      for (const g of gateways) await g.stop();
      const per = gateways.map((g, i) => {
        const t = g.total;
        return {
          gateway: i,
          incarnations: g.incarnations.length,
          received: t.received,
          stored: t.stored,
          share: Math.round((t.stored / Math.max(1, stored())) * 1000) / 1000,
          cpuUsPerReading: Math.round((t.cpuUs / Math.max(1, t.stored)) * 10) / 10,
        };
      });
      const rate = (a: { atMs: number; stored: number }, b: { atMs: number; stored: number }) =>
        Math.round(((b.stored - a.stored) * 1000) / Math.max(1, b.atMs - a.atMs));
      const start = { atMs: 0, stored: 0 };
      return {
        benchmark: 'scaleout',
        machine: machineInfo(),
        loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
        broker: 'mosquitto (MQTT 5, $share/ingest)',
        seconds,
        edges: edgeCount,
        meters: edgeCount * meterIds(0).length,
        published,
        rowsInPostgres: rows,
        lost: published - distinct,
        duplicateRows: rows - distinct,
        // Deliveries beyond one per reading: the killed gateway's unacknowledged readings, delivered
        // again after its restart (the store's primary key keeps them from being stored twice).
        redeliveries: per.reduce((a, p) => a + p.received, 0) - published,
        aggregateReadingsPerSec: Math.round((rows * 1000) / drainedMs),
        readingsPerSecBothUp: rate(start, marks.killed!),
        readingsPerSecOneUp: rate(marks.killed!, marks.restarting!),
        marks,
        gateways: per,
      };
    } finally {
      for (const g of gateways) await g.stop().catch(() => undefined);
      await Promise.all(edges.map((e) => e.endAsync().catch(() => undefined)));
      await broker.stop();
      tmp.remove();
      await adminClient.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await adminClient.end();
    }
  },
};
