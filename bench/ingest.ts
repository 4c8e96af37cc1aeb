import os from 'node:os';
import { performance as nodePerformance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import pg from 'pg';
import { PgliteWorkerDatabase, startTsWorker } from '../gateway/db/index.js';
import { Gateway, InfluxReadingStore, type StoreKind } from '../gateway/index.js';
import { machineInfo, percentile } from './machine.js';
import type { Benchmark } from './types.js';

interface WorkerHandle {
  worker: Worker;
  port: number;
  publish(seconds: number, inFlight?: number): Promise<{ published: number; seconds: number }>;
  reportStored(stored: number): void;
  stop(): Promise<void>;
}

async function startDevices(
  prefix: string,
  meters: number,
  publishers: number,
  window: number,
): Promise<WorkerHandle> {
  const worker = startTsWorker(new URL('./ingest-worker.ts', import.meta.url), {
    workerData: { prefix, meters, publishers, window },
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { port: number }) => resolve(m.port));
    worker.once('error', reject);
  });
  const next = <T>(key: string) =>
    new Promise<T>((resolve, reject) => {
      const on = (m: Record<string, unknown>) => {
        if (key in m) {
          worker.off('message', on);
          resolve(m[key] as T);
        }
      };
      worker.on('message', on);
      worker.once('error', reject);
    });
  return {
    worker,
    port,
    publish(seconds, inFlight = 0) {
      const p = next<{ published: number; seconds: number }>('done');
      worker.postMessage({ cmd: 'publish', seconds, inFlight });
      return p;
    },
    reportStored(stored) {
      worker.postMessage({ cmd: 'stored', stored });
    },
    async stop() {
      const p = next('stopped');
      worker.postMessage({ cmd: 'stop' });
      await p;
      await worker.terminate();
    },
  };
}

/** Bare aedes QoS 1 throughput: the same publishers into a plain mqtt.js subscriber (auto PUBACK). */
async function bareThroughput(devices: WorkerHandle, prefix: string, seconds: number): Promise<number> {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${devices.port}`, {
    clientId: 'bench-bare',
    log: () => {}, // as the gateway's and the devices' clients: no per-packet debug tracing
    clean: true,
  });
  let received = 0;
  sub.on('message', () => received++);
  await sub.subscribeAsync(`${prefix}/meters/+/reading`, { qos: 1 });
  const started = performance.now();
  await devices.publish(seconds);
  const end = Date.now() + 10_000;
  let last = -1;
  while (received !== last && Date.now() < end) {
    last = received;
    await new Promise((r) => setTimeout(r, 200));
  }
  const elapsed = (performance.now() - started) / 1000;
  await sub.endAsync();
  return received / elapsed;
}

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description:
    'simulated meters → in-process aedes → gateway ingest → reading store: rate, loss, publish→stored latency',
  options: [
    { flags: '--store <kind>', description: 'pglite | postgres | influx', default: 'pglite' },
    { flags: '--seconds <s>', description: 'publishing time per phase', default: '10' },
    { flags: '--meters <n>', description: 'simulated meters', default: '200' },
    { flags: '--publishers <n>', description: 'MQTT publisher connections', default: '4' },
    { flags: '--window <n>', description: 'unacknowledged QoS 1 publishes per connection', default: '500' },
    { flags: '--batch <n>', description: 'readings per store write', default: '5000' },
    {
      flags: '--in-flight <n>',
      description: 'readings published but not yet stored, at most (the load is closed-loop; 0: unbounded)',
      default: '10000',
    },
    {
      flags: '--max-buffered <n>',
      description: 'ingest buffer bound (unacknowledged readings)',
      default: '20000',
    },
    {
      flags: '--database-url <url>',
      description: 'PostgreSQL server for --store postgres (a temp database is created)',
    },
    { flags: '--influx-url <url>', description: 'InfluxDB for --store influx (a temp database is created)' },
  ],
  async run(options, ctx) {
    const store = String(options.store) as StoreKind;
    if (!['pglite', 'postgres', 'influx'].includes(store))
      throw new Error(`--store must be pglite, postgres or influx`);
    const seconds = Number(options.seconds);
    const meters = Number(options.meters);
    const publishers = Number(options.publishers);
    const window = Number(options.window);
    const inFlight = Number(options.inFlight);
    const positive = {
      seconds,
      meters,
      publishers,
      window,
      batch: Number(options.batch),
      maxBuffered: Number(options.maxBuffered),
    };
    for (const [k, v] of Object.entries(positive)) {
      if (!Number.isFinite(v) || v <= 0)
        throw new Error(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be a positive number`);
    }
    if (!Number.isInteger(inFlight) || inFlight < 0) throw new Error('--in-flight must be an integer ≥ 0');
    const run = randomBytes(3).toString('hex');
    const prefix = `bench-${run}/v1`;
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-bench-ingest-'));
    const cleanups: Array<() => Promise<void>> = [
      async () => rmSync(dataDir, { recursive: true, force: true }),
    ];

    let databaseUrl: string | undefined;
    let influx: { url: string; database: string } | undefined;
    if (store === 'postgres') {
      const admin = new URL(
        String(options.databaseUrl ?? ctx.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
      );
      admin.pathname = '/postgres';
      const name = `mg_bench_${run}`;
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      const u = new URL(admin);
      u.pathname = `/${name}`;
      databaseUrl = u.toString();
      cleanups.push(async () => {
        const d = new pg.Client({ connectionString: admin.toString() });
        await d.connect();
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await d.end();
      });
    }
    if (store === 'influx') {
      influx = {
        url: String(options.influxUrl ?? ctx.env.INFLUX_URL ?? 'http://127.0.0.1:8086'),
        database: `mg_bench_${run}`,
      };
      const i = influx;
      cleanups.push(() => new InfluxReadingStore(i).drop());
    }

    const devices = await startDevices(prefix, meters, publishers, window);
    try {
      const bare = await bareThroughput(devices, prefix, Math.max(2, seconds / 2));

      const gw = new Gateway({
        store,
        databaseUrl,
        // Like a deployment: the gateway's own SQL (live state, rollups; readings too with pglite) is
        // file-backed PGlite unless the store is PostgreSQL.
        dataDir: store === 'postgres' ? undefined : dataDir,
        influx,
        mqtt: { url: `mqtt://127.0.0.1:${devices.port}`, prefix, clientId: `bench-gw-${run}` },
        http: false,
        ingest: {
          batchSize: Number(options.batch),
          batchIntervalMs: 50,
          maxBuffered: Number(options.maxBuffered),
        },
      });
      await gw.start();
      cleanups.unshift(() => gw.stop());
      const latencies: number[] = [];
      let stored = 0;
      let lastStoredAt = 0;
      gw.live.subscribe((m) => {
        if (m.type !== 'reading') return;
        stored++;
        const now = Date.now();
        lastStoredAt = now;
        latencies.push(now - Date.parse(m.data.ts));
      });
      const started = Date.now();
      const cpu0 = process.cpuUsage();
      const dbThread = gw.db instanceof PgliteWorkerDatabase ? gw.db : undefined;
      const elu0 = {
        gateway: nodePerformance.eventLoopUtilization(),
        devices: devices.worker.performance.eventLoopUtilization(),
        database: dbThread?.eventLoopUtilization(),
      };
      // Closed loop: the devices learn what is stored and keep at most --in-flight readings between
      // publish and storage, so the latency measured is the pipeline's, not a queue that grows for
      // as long as the offered rate exceeds the stored one.
      const reporter = setInterval(() => devices.reportStored(stored), 10);
      const { published } = await devices.publish(seconds, inFlight).finally(() => clearInterval(reporter));
      const drainEnd = Date.now() + 60_000;
      while (stored < published && Date.now() < drainEnd) await new Promise((r) => setTimeout(r, 50));
      const cpu = process.cpuUsage(cpu0);
      const busy = (e: { utilization: number } | undefined) =>
        e ? Math.round(e.utilization * 100) / 100 : undefined;
      // How busy each thread was: the one near 1 is the bottleneck; all together, whether the two
      // cores were shared out or one thread waited on another.
      const threads = {
        gateway: busy(nodePerformance.eventLoopUtilization(elu0.gateway)),
        devices: busy(devices.worker.performance.eventLoopUtilization(elu0.devices)),
        database: busy(elu0.database && dbThread?.eventLoopUtilization(elu0.database)),
      };
      const elapsed = (lastStoredAt - started) / 1000;
      const inStore = await gw.store!.count();
      const stats = gw.ingest!.snapshot();
      const rate = stored / elapsed;
      return {
        benchmark: 'ingest',
        store,
        machine: machineInfo(),
        // What else the machine was doing is part of the result: report it, do not assume it.
        loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
        seconds,
        meters,
        publishers,
        valuesPerReading: 5,
        batchSize: Number(options.batch),
        maxBuffered: Number(options.maxBuffered),
        inFlight,
        published,
        stored: inStore,
        lost: published - inStore,
        readingsPerSec: Math.round(rate),
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        bareAedesQos1PerSec: Math.round(bare),
        ratio: Math.round((rate / bare) * 1000) / 1000,
        // CPU of this process (gateway thread + the devices' broker and publishers thread; with
        // PGlite the database too) per stored reading: what a neighbour on the machine cannot skew.
        // Two cores give 100 µs per reading at 20,000 readings/s.
        processCpuUsPerReading: Math.round(((cpu.user + cpu.system) / stored) * 10) / 10,
        threadBusy: threads,
        batches: stats.batches,
        storeErrors: stats.storeErrors,
        deadLettered: stats.deadLettered,
      };
    } finally {
      for (const c of cleanups) await c().catch(() => undefined);
      await devices.stop();
    }
  },
};
