import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { openDatabase, type SqlDatabase } from '../gateway/db/index.js';
import { ledgerBooks } from '../gateway/vending/index.js';
import { buildVendingApp } from '../gateway/vending/test-fixtures/app.js';
import { buildWorld } from '../gateway/vending/test-fixtures/world.js';
import { machineInfo, median, percentile } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * Vends per second over real HTTP (fastify listening on a loopback port, node:http with a
 * keep-alive agent, bounded concurrency), against the embedded PGlite ledger or a fresh PostgreSQL
 * database (created and dropped here). Each vend is a full purchase: auth, meter lock, pricing,
 * STS token (DKGA04/MISTY1 test keys), ledger writes, audit. After the run the ledger is
 * reconciled: duplicate tokens and the books' balance are reported, never assumed.
 */
async function freshPostgres(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `mg_bench_vend_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const run = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * The load generator runs in its own Node process (plain JS, node:http), so the server's event
 * loop is not shared with the client: the figure is what the gateway serves, not client + server.
 */
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

// node:http with a keep-alive agent rather than fetch: on two shared cores fetch/undici's per-request
// CPU (streams, WHATWG objects) was a third of a core at 650 vends/s, all of it taken from the server.
const LOAD_SCRIPT = `
import http from 'node:http';
const { url, apiKey, vends, concurrency, meters, seq } = JSON.parse(process.argv[1]);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);
const latencies = [];
const tokens = [];
let errors = 0;
let next = 0;
function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
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
    const body = JSON.stringify({ meterId: 'M' + ((i % meters) + 1), amount: 20 + (i % 50), requestId: 'bench-' + i });
    const t0 = performance.now();
    try {
      const res = await post(body);
      latencies.push(performance.now() - t0);
      const json = JSON.parse(res.text);
      if (res.status !== 200 || !json.token) errors++;
      else tokens.push(json.token);
    } catch {
      errors++;
    }
  }
}
const t0 = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({ seconds, latencies, tokens, errors, cpuMs: (cpu.user + cpu.system) / 1000 }));
`;

function runLoad(args: {
  url: string;
  apiKey: string;
  vends: number;
  concurrency: number;
  meters: number;
  seq: number;
}): Promise<{ seconds: number; latencies: number[]; tokens: string[]; errors: number; cpuMs: number }> {
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
    for (const [k, v] of Object.entries({ vends, rounds, warmup, concurrency, meters: meterCount, pool })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer`);
    }
    let pgDb: { url: string; drop: () => Promise<void> } | undefined;
    if (store === 'postgres') {
      pgDb = await freshPostgres(
        String(options.databaseUrl ?? ctx.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
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
          roundStats.push({
            vendsPerSecond: Math.round(vends / out.seconds),
            p50Ms: Number(percentile(out.latencies, 50).toFixed(2)),
            p99Ms: Number(percentile(out.latencies, 99).toFixed(2)),
            errors: out.errors,
            serverCpuMsPerVend: Number((cpuMs(process.cpuUsage(cpu0)) / vends).toFixed(3)),
            clientCpuMsPerVend: Number((out.cpuMs / vends).toFixed(3)),
          });
        }
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
