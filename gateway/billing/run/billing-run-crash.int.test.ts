import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { EXAMPLE_POSTPAID_ELECTRICITY } from '../money/money-tariff.js';
import { upsertTariffVersion } from '../money/tariff-store.js';
import { checkBooks, seedBulkAccounts } from '../testing/bulk-seed.js';
import { BILLING_TEST_MIGRATIONS } from '../testing/world.js';
import { BillingRunner } from './billing-run.js';

const CHILD = fileURLToPath(new URL('../testing/run-child.ts', import.meta.url));
const ACCOUNTS = 2000;
let db: SqlDatabase;
let url: string;
let drop: () => Promise<void>;

beforeAll(async () => {
  ({ url, drop } = await createTestDatabase('mg_billing_crash'));
  db = await new PostgresDatabase({ url }).start();
  await runMigrations(db, BILLING_TEST_MIGRATIONS);
  await upsertTariffVersion(db, EXAMPLE_POSTPAID_ELECTRICITY);
  await seedBulkAccounts(db, ACCOUNTS);
}, 120_000);
afterAll(async () => {
  await db?.close();
  await drop?.();
});

describe('billing run on PostgreSQL, killed with SIGKILL halfway', () => {
  it('resumes to one bill per contract, numbering gap-free', async () => {
    const runner = new BillingRunner({ db, clock: () => new Date('2026-03-01T00:00:00Z'), batchSize: 100 });
    const run = await runner.create('2026-01', 'crash-test');
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, run.id], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const killedAt = await new Promise<number>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = [...buf.matchAll(/batch (\d+)/g)].pop();
        if (m && Number(m[1]) >= ACCOUNTS / 3 && !child.killed) {
          child.kill('SIGKILL');
          resolve(Number(m[1]));
        }
        if (buf.includes('done')) reject(new Error('the run finished before it could be killed'));
      });
      child.on('error', reject);
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    const half = await checkBooks(db, '2026-01');
    expect(half.bills).toBeGreaterThanOrEqual(killedAt);
    expect(half.bills).toBeLessThan(ACCOUNTS);
    expect(half.gapFree).toBe(true); // what committed is whole: no hole, no half batch
    expect((await runner.get(run.id)).status).toBe('running');

    // Restart: the same run resumes after its cursor.
    const done = await runner.execute(run.id);
    expect(done).toMatchObject({ status: 'completed', total: ACCOUNTS, issued: ACCOUNTS, failed: 0 });
    const books = await checkBooks(db, '2026-01');
    expect(books).toEqual({ bills: ACCOUNTS, contracts: ACCOUNTS, gapFree: true, balanced: true });

    // And a second run of the period (another operator, another day) adds nothing.
    const again = await runner.execute((await runner.create('2026-01', 'again')).id);
    expect(again).toMatchObject({ issued: 0, skipped: ACCOUNTS });
    expect((await checkBooks(db, '2026-01')).bills).toBe(ACCOUNTS);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM bills WHERE estimated`);
    expect(rows[0]!.n).toBe(ACCOUNTS / 10);
  }, 300_000);
});
