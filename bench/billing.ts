import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  BILLING_MIGRATIONS,
  BillingRunner,
  automaticPlans,
  instalmentsDue,
  EXAMPLE_POSTPAID_ELECTRICITY,
  upsertTariffVersion,
} from '../gateway/billing/index.js';
import { checkBooks, seedBulkAccounts } from '../gateway/billing/testing/bulk-seed.js';
import { ROLLUP_MIGRATIONS, SELF_READING_MIGRATIONS } from '../gateway/metering/index.js';
import { openDatabase, runMigrations, type SqlDatabase } from '../gateway/platform/index.js';
import { freshPostgres } from './fresh-postgres.js';
import { machineInfo, percentile } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * A full billing run of N postpaid accounts: index lookup (measured; 1 in 10 estimated from history),
 * pricing on the example tariff's blocks and selective rule, gap-free numbering, bills and ledger
 * entries, batch by batch in one transaction each. Afterwards the books are checked (one bill per
 * contract, numbers 1..N without a gap, entries = bills), never assumed. p99Ms is the 99th
 * percentile of a batch's time (its bills commit together).
 */
export const billingBenchmark: Benchmark = {
  name: 'billing',
  description: 'a full postpaid billing run of N accounts (bills/s, gap-free numbering, balanced books)',
  options: [
    { flags: '--accounts <n>', description: 'postpaid accounts (one contract each)', default: '2000' },
    { flags: '--store <store>', description: 'pglite | postgres', default: 'postgres' },
    {
      flags: '--database-url <url>',
      description: 'PostgreSQL server (a fresh database is created and dropped)',
    },
    { flags: '--batch <n>', description: 'contracts per transaction', default: '1000' },
  ],
  async run(options, ctx) {
    const accounts = Number(options.accounts ?? 2000);
    const batch = Number(options.batch ?? 1000);
    const store = String(options.store ?? 'postgres');
    if (!Number.isInteger(accounts) || accounts < 1) throw new Error('--accounts must be a positive integer');
    if (!Number.isInteger(batch) || batch < 1) throw new Error('--batch must be a positive integer');
    if (store !== 'pglite' && store !== 'postgres')
      throw new Error(`--store must be pglite or postgres, got ${store}`);
    const pgDb =
      store === 'postgres'
        ? await freshPostgres(
            String(
              options.databaseUrl ?? ctx.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
            ),
            'billing',
          )
        : undefined;
    const dataDir = pgDb ? undefined : mkdtempSync(join(os.tmpdir(), 'mg-bench-billing-'));
    let db: SqlDatabase | undefined;
    try {
      db = pgDb ? await openDatabase({ url: pgDb.url }) : await openDatabase({ dataDir });
      await runMigrations(db, [...ROLLUP_MIGRATIONS, ...SELF_READING_MIGRATIONS, ...BILLING_MIGRATIONS]);
      await upsertTariffVersion(db, EXAMPLE_POSTPAID_ELECTRICITY);
      const seed0 = performance.now();
      await seedBulkAccounts(db, accounts);
      await db.query('ANALYZE');
      const seedMs = performance.now() - seed0;
      const batches: number[] = [];
      let last = performance.now();
      const runner = new BillingRunner({
        db,
        batchSize: batch,
        // As the gateway runs it: instalments falling due, automatic plans.
        instalmentsDue,
        afterIssue: automaticPlans(),
        clock: () => new Date('2026-03-01T00:00:00Z'),
        onProgress: () => {
          const now = performance.now();
          batches.push(now - last);
          last = now;
        },
      });
      const run = await runner.create('2026-01', 'bench');
      const t0 = performance.now();
      last = t0;
      const done = await runner.execute(run.id);
      const seconds = (performance.now() - t0) / 1000;
      const books = await checkBooks(db, '2026-01');
      return {
        benchmark: 'billing',
        store,
        accounts,
        bills: done.issued,
        billsPerSec: Math.round(done.issued / seconds),
        seconds: Math.round(seconds * 100) / 100,
        gapFree: books.gapFree && books.bills === accounts && books.contracts === accounts,
        balanced: books.balanced,
        p99Ms: Math.round(percentile(batches, 99)),
        batch,
        estimated: Math.floor(accounts / 10),
        seedMs: Math.round(seedMs),
        machine: machineInfo(),
      };
    } finally {
      await db?.close();
      await pgDb?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
