import type { SqlDatabase } from '../../platform/index.js';
import { EXAMPLE_POSTPAID_ELECTRICITY } from '../money/money-tariff.js';

/**
 * N postpaid accounts in a few set-based statements (the integration test and the bench): one
 * customer and one monthly electricity contract each, subscribed on 2025-12-01 at index 1000, and a
 * measured index at the end of January 2026 for 9 accounts in 10 (consumption 40–539 kWh, so every
 * block and the selective rule are exercised); the tenth is estimated from a short measured history.
 */
export async function seedBulkAccounts(db: SqlDatabase, accounts: number): Promise<void> {
  await db.query(
    `INSERT INTO customers (id, name, kind, customer_number, first_name, last_name, mobile, language)
     SELECT 'bc-' || i, 'Client ' || i, 'postpaid', (2000000 + i)::text, 'Client', i::text,
            '+2126' || lpad((i % 100000000)::text, 8, '0'), CASE WHEN i % 7 = 0 THEN 'ar' ELSE 'fr' END
       FROM generate_series(1, $1::int) AS i`,
    [accounts],
  );
  await db.query(
    `INSERT INTO contracts (number, customer_id, service, meter_id, obis, tariff_id, frequency, billing_day, subscribed_at, initial_index)
     SELECT 'E-' || lpad(i::text, 9, '0'), 'bc-' || i, 'electricity', 'BM-' || i, '1-0:1.8.0', $2, 'monthly', 1 + i % 28,
            '2025-12-01', 1000
       FROM generate_series(1, $1::int) AS i`,
    [accounts, EXAMPLE_POSTPAID_ELECTRICITY.id],
  );
  await db.query(
    `INSERT INTO daily_consumption (meter_id, obis, day, consumption, first_value, last_value, samples, quality)
     SELECT 'BM-' || i, '1-0:1.8.0', '2026-01-31', 5, 1035 + i % 500, 1040 + i % 500, 96, 'measured'
       FROM generate_series(1, $1::int) AS i WHERE i % 10 <> 0`,
    [accounts],
  );
  // The tenth account: no index, 60 measured days of history before the period (recent-history estimate).
  await db.query(
    `INSERT INTO daily_consumption (meter_id, obis, day, consumption, samples, quality)
     SELECT 'BM-' || i, '1-0:1.8.0', d::date, 4 + i % 6, 96, 'measured'
       FROM generate_series(10, $1::int, 10) AS i, generate_series('2025-11-01'::date, '2025-12-31'::date, interval '1 day') AS d`,
    [accounts],
  );
}

/** Invariants of a finished run: each contract billed once, numbers 1..n with no gap, entries = bills. */
export async function checkBooks(
  db: SqlDatabase,
  period: string,
): Promise<{
  bills: number;
  contracts: number;
  gapFree: boolean;
  balanced: boolean;
}> {
  const { rows } = await db.query<{
    bills: number;
    contracts: number;
    maxSeq: number;
    minSeq: number;
    distinctSeq: number;
    counter: number;
  }>(
    `SELECT count(*)::int AS bills, count(DISTINCT contract_number)::int AS contracts, max(seq) AS "maxSeq", min(seq) AS "minSeq",
            count(DISTINCT (year, seq))::int AS "distinctSeq",
            (SELECT COALESCE(sum(last), 0)::int FROM bill_counters) AS counter
       FROM bills WHERE period_key = $1`,
    [period],
  );
  const r = rows[0]!;
  const { rows: books } = await db.query<{ entries: number; bills: number; ok: boolean }>(
    `SELECT (SELECT COALESCE(sum(amount), 0) FROM account_entries) AS entries,
            (SELECT COALESCE(sum(amount_ttc), 0) FROM bills) AS bills,
            (SELECT count(*) FROM bills b LEFT JOIN account_entries e
               ON e.bill_number = b.number AND e.kind IN ('bill', 'regularisation', 'credit-note')
              WHERE e.id IS NULL OR e.amount <> b.amount_ttc) = 0 AS ok`,
  );
  const b = books[0]!;
  return {
    bills: r.bills,
    contracts: r.contracts,
    gapFree:
      r.bills === 0 ||
      (Number(r.minSeq) === 1 &&
        Number(r.maxSeq) === r.bills &&
        r.distinctSeq === r.bills &&
        r.counter === r.bills),
    balanced: Number(b.entries) === Number(b.bills) && b.ok,
  };
}
