import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { openDatabase, type SqlDatabase } from '../gateway/platform/db/index.js';
import { freshPostgres } from './fresh-postgres.js';
import type { Principal } from '../gateway/platform/index.js';
import {
  OfflineVendingDevice,
  provisionAllowance,
  recordFloatMovement,
  upsertVendor,
  type OfflineVend,
} from '../gateway/prepaid/index.js';
import { ledgerBooks } from '../gateway/prepaid/vending/index.js';
import { buildVendingApp } from '../gateway/prepaid/vending/test-fixtures/app.js';
import { buildWorld } from '../gateway/prepaid/vending/test-fixtures/world.js';
import { machineInfo, median, percentile } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * Vends per second over real HTTP (fastify listening on a loopback port, node:http with a
 * keep-alive agent, bounded concurrency), against the embedded PGlite ledger or a fresh PostgreSQL
 * database (created and dropped here). Each vend is a full purchase: auth, meter lock, pricing,
 * STS token (DKGA04/MISTY1 test keys), ledger writes, audit. After the run the ledger is
 * reconciled: duplicate tokens and the books' balance are reported, never assumed.
 */

/**
 * The load generator runs in its own Node process (plain JS, node:http), so the server's event
 * loop is not shared with the client: the figure is what the gateway serves, not client + server.
 */
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

// node:http with a keep-alive agent rather than fetch: on two shared cores fetch/undici's per-request
// CPU (streams, WHATWG objects) was a third of a core at 650 vends/s, all of it taken from the server.
const LOAD_SCRIPT = `
import http from 'node:http';
const { url, apiKey, vends, concurrency, meters, seq, reverse } = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);
const latencies = [];
const tokens = [];
const vendIds = [];
let errors = 0;
let next = 0;
function post(body, path = target.pathname) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': apiKey },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
async function worker() {
  while (next < vends) {
    const i = seq + next++;
    // reverse: the vends to reverse (POST /api/vends/:id/reverse), one per request.
    const body = reverse
      ? '{}'
      : JSON.stringify({ meterId: 'M' + ((i % meters) + 1), amount: 20 + (i % 50), requestId: 'bench-' + i });
    const t0 = performance.now();
    try {
      const res = await post(body, reverse ? '/api/vends/' + reverse[i - seq] + '/reverse' : target.pathname);
      latencies.push(performance.now() - t0);
      const json = JSON.parse(res.text);
      if (reverse) {
        if (res.status !== 200 || json.kind !== 'reversal') errors++;
      } else if (res.status !== 200 || !json.token) errors++;
      else (tokens.push(json.token), vendIds.push(json.vendId));
    } catch {
      errors++;
    }
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ seconds, latencies, tokens, vendIds, errors, cpuMs: (cpu.user + cpu.system) / 1000 }));
`;

function runLoad(args: {
  url: string;
  apiKey: string;
  vends: number;
  concurrency: number;
  meters: number;
  seq: number;
  reverse?: string[];
}): Promise<{
  seconds: number;
  latencies: number[];
  tokens: string[];
  vendIds: string[];
  errors: number;
  cpuMs: number;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOAD_SCRIPT, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}: ${err.slice(0, 500)}`));
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`load generator printed no result: ${err.slice(0, 500)}`));
      }
    });
  });
}

export const vendBenchmark: Benchmark = {
  name: 'vend',
  description: 'prepaid vends per second over HTTP with p50/p99 latency, duplicate tokens and ledger balance',
  options: [
    { flags: '--store <store>', description: 'pglite | postgres', default: 'pglite' },
    {
      flags: '--database-url <url>',
      description:
        'PostgreSQL server (default env DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres)',
    },
    { flags: '--vends <n>', description: 'vends per round', default: '3000' },
    { flags: '--rounds <n>', description: 'rounds (medians are reported)', default: '5' },
    { flags: '--warmup <n>', description: 'vends before the timed rounds (not timed)', default: '1000' },
    { flags: '--concurrency <n>', description: 'requests in flight', default: '32' },
    { flags: '--meters <n>', description: 'meters vended to (round-robin)', default: '100' },
    {
      flags: '--reversals <n>',
      description: 'vends of the last round then reversed over HTTP (reversals/s)',
      default: '1000',
    },
    {
      flags: '--offline-vends <n>',
      description: 'sales minted on an offline device then reconciled over HTTP (POST /api/offline/sync)',
      default: '10000',
    },
    { flags: '--pool <n>', description: "PostgreSQL connections (the gateway's default)", default: '10' },
    {
      flags: '--pglite-thread <thread>',
      description: "file-backed PGlite's thread: worker (the gateway's default) | main",
      default: 'worker',
    },
  ],
  async run(options, ctx) {
    const store = String(options.store ?? 'pglite');
    if (store !== 'pglite' && store !== 'postgres')
      throw new Error(`--store must be pglite or postgres, got ${store}`);
    const vends = Number(options.vends ?? 3000);
    const rounds = Number(options.rounds ?? 5);
    const warmup = Number(options.warmup ?? 1000);
    const concurrency = Number(options.concurrency ?? 32);
    const meterCount = Number(options.meters ?? 100);
    const pool = Number(options.pool ?? 10);
    const reversals = Math.min(Number(options.reversals ?? 1000), vends);
    const offlineVends = Number(options.offlineVends ?? 10_000);
    for (const [k, v] of Object.entries({
      vends,
      rounds,
      warmup,
      concurrency,
      meters: meterCount,
      pool,
      reversals,
    })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer`);
    }
    let pgDb: { url: string; drop: () => Promise<void> } | undefined;
    if (store === 'postgres') {
      pgDb = await freshPostgres(
        String(options.databaseUrl ?? ctx.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
        'vend',
      );
    }
    const pgliteThread = String(options.pgliteThread ?? 'worker');
    if (pgliteThread !== 'worker' && pgliteThread !== 'main')
      throw new Error(`--pglite-thread must be worker or main, got ${pgliteThread}`);
    // PGlite as `metergate gateway` runs it: file-backed, in a worker thread unless told otherwise.
    const dataDir = pgDb ? undefined : mkdtempSync(join(os.tmpdir(), 'mg-bench-vend-'));
    let db: SqlDatabase | undefined;
    try {
      db = pgDb
        ? await openDatabase({ url: pgDb.url, maxConnections: pool })
        : await openDatabase({ dataDir, pgliteThread });
      const world = await buildWorld(db, { meters: meterCount, social: false });
      const app = await buildVendingApp({
        db,
        service: world.service,
        rateLimit: { max: 1e9, timeWindow: 60_000 },
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}/api/vend`;
      const roundStats: Array<{
        vendsPerSecond: number;
        p50Ms: number;
        p99Ms: number;
        errors: number;
        serverCpuMsPerVend: number;
        clientCpuMsPerVend: number;
      }> = [];
      const load0 = os.loadavg()[0]!;
      const tokens = new Set<string>();
      let duplicatesSeen = 0;
      let warmupErrors = 0;
      let lastRound: string[] = [];
      let reversal: { reversalsPerSecond: number; p50Ms: number; p99Ms: number; errors: number } | undefined;
      let offline: Awaited<ReturnType<typeof offlineSync>> | undefined;
      const record = (out: { tokens: string[] }) => {
        for (const t of out.tokens) {
          if (tokens.has(t)) duplicatesSeen++;
          else tokens.add(t);
        }
      };
      try {
        // Not timed: JIT, connections and prepared statements warm up. Its tokens are checked too.
        const warm = await runLoad({
          url,
          apiKey: world.keys.vendor,
          vends: warmup,
          concurrency,
          meters: meterCount,
          seq: rounds * vends,
        });
        record(warm);
        warmupErrors = warm.errors;
        for (let r = 0; r < rounds; r++) {
          const cpu0 = process.cpuUsage();
          const out = await runLoad({
            url,
            apiKey: world.keys.vendor,
            vends,
            concurrency,
            meters: meterCount,
            seq: r * vends,
          });
          record(out);
          lastRound = out.vendIds;
          roundStats.push({
            vendsPerSecond: Math.round(vends / out.seconds),
            p50Ms: Number(percentile(out.latencies, 50).toFixed(2)),
            p99Ms: Number(percentile(out.latencies, 99).toFixed(2)),
            errors: out.errors,
            serverCpuMsPerVend: Number((cpuMs(process.cpuUsage(cpu0)) / vends).toFixed(3)),
            clientCpuMsPerVend: Number((out.cpuMs / vends).toFixed(3)),
          });
        }
        // Reversals of the last round's sales (inside the window, tokens not accepted): each one
        // locks the meter, cancels the token, writes the contra-entries and the audit entry.
        const out = await runLoad({
          url,
          apiKey: world.keys.vendor,
          vends: reversals,
          concurrency,
          meters: meterCount,
          seq: 0,
          reverse: lastRound.slice(0, reversals),
        });
        reversal = {
          reversalsPerSecond: Math.round(reversals / out.seconds),
          p50Ms: Number(percentile(out.latencies, 50).toFixed(2)),
          p99Ms: Number(percentile(out.latencies, 99).toFixed(2)),
          errors: out.errors,
        };
        offline = await offlineSync(world, `http://127.0.0.1:${port}`, offlineVends, meterCount);
      } finally {
        await app.close();
      }
      const books = await ledgerBooks(db);
      await world.service.stop();
      return {
        benchmark: 'vend',
        store,
        machine: machineInfo(),
        transport:
          'HTTP/1.1 keep-alive on loopback from a separate load-generator process (node:http keep-alive agent), not fastify.inject',
        vendsPerRound: vends,
        rounds,
        warmupVends: warmup,
        concurrency,
        meters: meterCount,
        pool: store === 'postgres' ? pool : undefined,
        pglite: store === 'pglite' ? `file-backed, ${pgliteThread} thread` : undefined,
        vendsPerSecond: median(roundStats.map((s) => s.vendsPerSecond)),
        p50Ms: median(roundStats.map((s) => s.p50Ms)),
        p99Ms: median(roundStats.map((s) => s.p99Ms)),
        errors: warmupErrors + roundStats.reduce((a, s) => a + s.errors, 0),
        // Load-independent cost: CPU of the gateway process (HTTP, auth, pricing, STS, pg client or
        // PGlite engine) per vend. With the machine shared, vends/s says more about the neighbours.
        serverCpuMsPerVend: median(roundStats.map((s) => s.serverCpuMsPerVend)),
        // The load generator shares the two cores; its CPU per vend is what the server did not get.
        clientCpuMsPerVend: median(roundStats.map((s) => s.clientCpuMsPerVend)),
        loadAverage1m: { before: Number(load0.toFixed(2)), after: Number(os.loadavg()[0]!.toFixed(2)) },
        reversals: { count: reversals, ...reversal },
        offlineSync: offline,
        duplicateTokens: duplicatesSeen + books.duplicateTokens,
        ledgerBalanced: books.balanced,
        tokensIssued: tokens.size,
        rounds_: roundStats,
      };
    } finally {
      await db?.close();
      await pgDb?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  },
};

/**
 * Offline round of a mobile agent: one device provisioned with every meter, `count` sales minted
 * on it (its security module, no network), then reconciled over HTTP in batches of 500 (each sale
 * its own ledger transaction, exactly once by device and sequence), then one batch replayed.
 */
async function offlineSync(
  world: Awaited<ReturnType<typeof buildWorld>>,
  baseUrl: string,
  count: number,
  meters: number,
): Promise<{
  vends: number;
  batch: number;
  mintSeconds: number;
  seconds: number;
  vendsPerSecond: number;
  accepted: number;
  duplicatesOnReplay: number;
  anomalies: number;
}> {
  const operator: Principal = { id: 'bench:operator', role: 'operator' };
  await upsertVendor(world.service.db, { id: 'OFFLINE', name: 'Mobile team', kind: 'mobile' });
  await recordFloatMovement(
    world.service.db,
    operator,
    'OFFLINE',
    { kind: 'top-up', requestId: 'bench-offline', amount: count * 50 },
    new Date(),
  );
  const allowance = await provisionAllowance(world.service, operator, 'OFFLINE', {
    requestId: 'bench-offline',
    deviceId: 'bench-device',
    amount: count * 50,
    meterIds: Array.from({ length: meters }, (_, i) => `M${i + 1}`),
  });
  const device = new OfflineVendingDevice('bench-device');
  device.provision(allowance);
  const t0 = performance.now();
  const now = new Date();
  for (let i = 0; i < count; i++) device.sell(`M${(i % meters) + 1}`, 20 + (i % 30), now);
  const mintSeconds = (performance.now() - t0) / 1000;
  const batch = 500;
  const post = async (vends: OfflineVend[]): Promise<Array<{ status: string }>> => {
    const res = await fetch(`${baseUrl}/api/offline/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': world.keys.operator },
      body: JSON.stringify({ allowanceId: allowance.allowanceId, deviceId: 'bench-device', vends }),
    });
    if (res.status !== 200) throw new Error(`offline sync answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { outcomes: Array<{ status: string }> }).outcomes;
  };
  const outcomes: Array<{ status: string }> = [];
  const t1 = performance.now();
  for (let i = 0; i < device.pending.length; i += batch)
    outcomes.push(...(await post(device.pending.slice(i, i + batch))));
  const seconds = (performance.now() - t1) / 1000;
  const replay = await post(device.pending.slice(0, batch));
  return {
    vends: count,
    batch,
    mintSeconds: Number(mintSeconds.toFixed(3)),
    seconds: Number(seconds.toFixed(2)),
    vendsPerSecond: Math.round(count / seconds),
    accepted: outcomes.filter((o) => o.status === 'accepted').length,
    duplicatesOnReplay: replay.filter((o) => o.status === 'duplicate').length,
    anomalies: outcomes.filter((o) => o.status !== 'accepted').length,
  };
}
