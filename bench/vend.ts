import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { openDatabase, type SqlDatabase } from '../gateway/db/index.js';
import { ledgerBooks } from '../gateway/vending/index.js';
import { buildVendingApp } from '../gateway/vending/test-fixtures/app.js';
import { buildWorld } from '../gateway/vending/test-fixtures/world.js';
import { machineInfo, median, percentile } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * Vends per second over real HTTP (fastify listening on a loopback port, Node's fetch/undici with
 * keep-alive, bounded concurrency), against the embedded PGlite ledger or a fresh PostgreSQL
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
    { flags: '--rounds <n>', description: 'rounds (medians are reported)', default: '3' },
    { flags: '--concurrency <n>', description: 'requests in flight', default: '32' },
    { flags: '--meters <n>', description: 'meters vended to (round-robin)', default: '100' },
  ],
  async run(options, ctx) {
    const store = String(options.store ?? 'pglite');
    if (store !== 'pglite' && store !== 'postgres')
      throw new Error(`--store must be pglite or postgres, got ${store}`);
    const vends = Number(options.vends ?? 3000);
    const rounds = Number(options.rounds ?? 3);
    const concurrency = Number(options.concurrency ?? 32);
    const meterCount = Number(options.meters ?? 100);
    for (const [k, v] of Object.entries({ vends, rounds, concurrency, meters: meterCount })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer`);
    }
    let pgDb: { url: string; drop: () => Promise<void> } | undefined;
    if (store === 'postgres') {
      pgDb = await freshPostgres(
        String(options.databaseUrl ?? ctx.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
      );
    }
    let db: SqlDatabase | undefined;
    try {
      db = pgDb
        ? await openDatabase({ url: pgDb.url, maxConnections: Math.min(concurrency, 40) })
        : await openDatabase();
      const world = await buildWorld(db, { meters: meterCount, social: false });
      const app = await buildVendingApp({
        db,
        service: world.service,
        rateLimit: { max: 1e9, timeWindow: 60_000 },
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as AddressInfo).port;
      const url = `http://127.0.0.1:${port}/api/vend`;
      const headers = { 'content-type': 'application/json', 'x-api-key': world.keys.vendor };
      const roundStats: Array<{ vendsPerSecond: number; p50Ms: number; p99Ms: number; errors: number }> = [];
      const allLatencies: number[] = [];
      const tokens = new Set<string>();
      let duplicatesSeen = 0;
      let seq = 0;
      try {
        for (let r = 0; r < rounds; r++) {
          const latencies: number[] = [];
          let errors = 0;
          let next = 0;
          const worker = async (): Promise<void> => {
            while (next < vends) {
              next++;
              const i = seq++;
              const body = JSON.stringify({
                meterId: `M${(i % meterCount) + 1}`,
                amount: 20 + (i % 50),
                requestId: `bench-${i}`,
              });
              const t0 = performance.now();
              const res = await fetch(url, { method: 'POST', headers, body });
              const json = (await res.json()) as { token?: string };
              latencies.push(performance.now() - t0);
              if (res.status !== 200 || !json.token) errors++;
              else if (tokens.has(json.token)) duplicatesSeen++;
              else tokens.add(json.token);
            }
          };
          const t0 = performance.now();
          await Promise.all(Array.from({ length: concurrency }, worker));
          const seconds = (performance.now() - t0) / 1000;
          roundStats.push({
            vendsPerSecond: Math.round(vends / seconds),
            p50Ms: Number(percentile(latencies, 50).toFixed(2)),
            p99Ms: Number(percentile(latencies, 99).toFixed(2)),
            errors,
          });
          allLatencies.push(...latencies);
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
        transport: 'HTTP/1.1 keep-alive on loopback (fetch/undici), not fastify.inject',
        vendsPerRound: vends,
        rounds,
        concurrency,
        meters: meterCount,
        vendsPerSecond: median(roundStats.map((s) => s.vendsPerSecond)),
        p50Ms: median(roundStats.map((s) => s.p50Ms)),
        p99Ms: median(roundStats.map((s) => s.p99Ms)),
        errors: roundStats.reduce((a, s) => a + s.errors, 0),
        duplicateTokens: duplicatesSeen + books.duplicateTokens,
        ledgerBalanced: books.balanced,
        tokensIssued: tokens.size,
        rounds_: roundStats,
      };
    } finally {
      await db?.close();
      await pgDb?.drop();
    }
  },
};
