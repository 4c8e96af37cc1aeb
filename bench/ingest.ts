import os from 'node:os';
import { performance as nodePerformance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import mqtt from 'mqtt';
import pg from 'pg';
import { PgliteWorkerDatabase, startTsWorker } from '../gateway/platform/db/index.js';
import { Gateway, InfluxReadingStore, type StoreKind } from '../gateway/index.js';
import { cpuPerItem, threadTimes } from './ingest-thread-cpu.js';
import { machineInfo, median, percentile } from './machine.js';
import type { Benchmark } from './types.js';

interface WorkerHandle {
  worker: Worker;
  port: number;
  /** The devices thread's id (Linux), for the per-thread CPU breakdown. */
  tid: number | undefined;
  publish(
    prefix: string,
    seconds: number,
    inFlight?: number,
  ): Promise<{ published: number; seconds: number }>;
  reportStored(stored: number): void;
  stop(): Promise<void>;
}

async function startDevices(meters: number, publishers: number, window: number): Promise<WorkerHandle> {
  const worker = startTsWorker(new URL('./ingest-worker.ts', import.meta.url), {
    workerData: { meters, publishers, window },
  });
  const { port, tid } = await new Promise<{ port: number; tid?: number }>((resolve, reject) => {
    worker.once('message', resolve);
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
    tid,
    publish(prefix, seconds, inFlight = 0) {
      const p = next<{ published: number; seconds: number }>('done');
      worker.postMessage({ cmd: 'publish', prefix, seconds, inFlight });
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

/** Waits until `count()` reaches `target` or stops moving for `quietMs` (or `maxMs` passed). */
async function settle(count: () => number, target: number, quietMs: number, maxMs: number): Promise<void> {
  const end = Date.now() + maxMs;
  let last = -1;
  let still = Date.now();
  while (count() < target && Date.now() < end) {
    if (count() !== last) {
      last = count();
      still = Date.now();
    } else if (Date.now() - still > quietMs) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The peer: bare aedes at QoS 1, the same publishers (same broker, same connections) into a plain
 * mqtt.js subscriber (auto PUBACK), on a topic prefix the gateway does not subscribe to, so the two
 * can be measured in alternation within one run.
 */
async function bareSubscriber(port: number, prefix: string) {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `bench-bare-${prefix.split('/')[0]}`,
    log: () => {}, // as the gateway's and the devices' clients: no per-packet debug tracing
    clean: true,
  });
  let received = 0;
  let lastAt = 0;
  sub.on('message', () => {
    received++;
    lastAt = performance.now();
  });
  await sub.subscribeAsync(`${prefix}/meters/+/reading`, { qos: 1 });
  return {
    /** One phase: publish for `seconds`, wait for the tail, return msg/s and the process CPU per message. */
    async phase(devices: WorkerHandle, seconds: number) {
      const r0 = received;
      const cpu0 = process.cpuUsage();
      const threads0 = threadTimes();
      const started = performance.now();
      const { published } = await devices.publish(prefix, seconds);
      await settle(() => received - r0, published, 1000, 10_000);
      const cpu = process.cpuUsage(cpu0);
      const n = received - r0;
      return {
        perSec: n / ((lastAt - started) / 1000),
        cpuUsPerMsg: (cpu.user + cpu.system) / Math.max(1, n),
        threads: cpuPerItem(threads0, threadTimes(), { main: process.pid, devices: devices.tid }, n),
      };
    },
    end: () => sub.endAsync(),
  };
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** Per-thread CPU per item, the median of each thread over the rounds (undefined without /proc). */
function medianThreads(rounds: Array<ReturnType<typeof cpuPerItem>>) {
  const got = rounds.filter((r) => r !== undefined);
  if (got.length === 0) return undefined;
  const keys = ['main', 'devices', 'database', 'helpers'] as const;
  return Object.fromEntries(keys.map((k) => [k, r1(median(got.map((r) => r[k])))]));
}
const r3 = (x: number) => Math.round(x * 1000) / 1000;

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description:
    'simulated meters → in-process aedes → gateway ingest → reading store, interleaved with bare aedes QoS 1 (same publishers): ratioToBareBroker, loss, publish→stored latency',
  options: [
    { flags: '--store <kind>', description: 'pglite | postgres | influx', default: 'pglite' },
    { flags: '--seconds <s>', description: 'publishing time per phase', default: '5' },
    {
      flags: '--rounds <n>',
      description: 'interleaved rounds (bare aedes phase, then gateway phase), medians reported',
      default: '3',
    },
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
      rounds: Number(options.rounds),
    };
    const rounds = positive.rounds;
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

    const devices = await startDevices(meters, publishers, window);
    const bare = await bareSubscriber(devices.port, `bare-${run}/v1`);
    try {
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
        const now = performance.now();
        lastStoredAt = now;
        latencies.push(Date.now() - Date.parse(m.data.ts));
      });
      /** One gateway phase: closed-loop publishing, then the drain; rate and CPU of the phase. */
      const gatewayPhase = async (phaseSeconds: number) => {
        const s0 = stored;
        const cpu0 = process.cpuUsage();
        const threads0 = threadTimes();
        const started = performance.now();
        // Closed loop: the devices learn what is stored and keep at most --in-flight readings between
        // publish and storage, so the latency measured is the pipeline's, not a queue that grows for
        // as long as the offered rate exceeds the stored one.
        const reporter = setInterval(() => devices.reportStored(stored - s0), 10);
        const { published } = await devices
          .publish(prefix, phaseSeconds, inFlight)
          .finally(() => clearInterval(reporter));
        await settle(() => stored - s0, published, 5_000, 60_000);
        const cpu = process.cpuUsage(cpu0);
        const n = stored - s0;
        return {
          published,
          perSec: n / ((lastStoredAt - started) / 1000),
          cpuUsPerReading: (cpu.user + cpu.system) / Math.max(1, n),
          threads: cpuPerItem(threads0, threadTimes(), { main: process.pid, devices: devices.tid }, n),
        };
      };

      // Warm-up (JIT, connections, the store's first batches) for both, not measured.
      await bare.phase(devices, 1);
      const warm = await gatewayPhase(1);
      latencies.length = 0;
      const dbThread = gw.db instanceof PgliteWorkerDatabase ? gw.db : undefined;
      const elu0 = {
        gateway: nodePerformance.eventLoopUtilization(),
        devices: devices.worker.performance.eventLoopUtilization(),
        database: dbThread?.eventLoopUtilization(),
      };
      // Interleaved: bare, gateway, bare, gateway … so both see the same machine (other work on it,
      // this VM's speed drift), and each gateway phase is compared with the bare phase just before it.
      const pairs: Array<{
        bare: Awaited<ReturnType<typeof bare.phase>>;
        gateway: Awaited<ReturnType<typeof gatewayPhase>>;
      }> = [];
      for (let r = 0; r < rounds; r++) {
        const b = await bare.phase(devices, seconds);
        const g = await gatewayPhase(seconds);
        pairs.push({ bare: b, gateway: g });
      }
      const busy = (e: { utilization: number } | undefined) =>
        e ? Math.round(e.utilization * 100) / 100 : undefined;
      // How busy each thread was (both phases): the one near 1 is the bottleneck.
      const threads = {
        gateway: busy(nodePerformance.eventLoopUtilization(elu0.gateway)),
        devices: busy(devices.worker.performance.eventLoopUtilization(elu0.devices)),
        database: busy(elu0.database && dbThread?.eventLoopUtilization(elu0.database)),
      };
      const published = warm.published + pairs.reduce((a, p) => a + p.gateway.published, 0);
      const inStore = await gw.store!.count();
      const stats = gw.ingest!.snapshot();
      const ratios = pairs.map((p) => p.gateway.perSec / p.bare.perSec);
      const gwCpu = median(pairs.map((p) => p.gateway.cpuUsPerReading));
      const bareCpu = median(pairs.map((p) => p.bare.cpuUsPerMsg));
      return {
        benchmark: 'ingest',
        store,
        machine: machineInfo(),
        // What else the machine was doing is part of the result: report it, do not assume it.
        loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
        seconds,
        rounds,
        meters,
        publishers,
        valuesPerReading: 5,
        batchSize: Number(options.batch),
        maxBuffered: Number(options.maxBuffered),
        inFlight,
        // Stored readings/s (0 lost) ÷ bare aedes QoS 1 msg/s, same publishers, adjacent phases:
        // the median of the per-round ratios.
        ratioToBareBroker: r3(median(ratios)),
        ratioPerRound: ratios.map(r3),
        readingsPerSec: Math.round(median(pairs.map((p) => p.gateway.perSec))),
        readingsPerSecPerRound: pairs.map((p) => Math.round(p.gateway.perSec)),
        bareAedesQos1PerSec: Math.round(median(pairs.map((p) => p.bare.perSec))),
        bareAedesQos1PerSecPerRound: pairs.map((p) => Math.round(p.bare.perSec)),
        published,
        stored: inStore,
        lost: published - inStore,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        // CPU of this process per stored reading (gateway thread + the devices' broker and publishers
        // thread; with PGlite the database too), median over the gateway phases.
        processCpuUsPerReading: r1(gwCpu),
        // The same process CPU per message in the bare phases (broker, publishers, a subscriber that
        // only counts): the difference is what the gateway itself costs per reading.
        bareCpuUsPerMessage: r1(bareCpu),
        gatewayCpuUsPerReading: r1(gwCpu - bareCpu),
        threadBusy: threads,
        // CPU µs per reading by thread (Linux /proc), medians over the rounds: in the gateway phases
        // `main` is the gateway, `database` the busiest other thread (PGlite's worker with --store
        // pglite); in the bare phases `main` is the subscriber that only counts.
        threadCpuUsPerReading: medianThreads(pairs.map((p) => p.gateway.threads)),
        bareThreadCpuUsPerMessage: medianThreads(pairs.map((p) => p.bare.threads)),
        batches: stats.batches,
        storeErrors: stats.storeErrors,
        deadLettered: stats.deadLettered,
      };
    } finally {
      for (const c of cleanups) await c().catch(() => undefined);
      await bare.end().catch(() => undefined);
      await devices.stop();
    }
  },
};
