import type { SqlExecutor } from '../../platform/index.js';
import { BILL_COLUMNS, effectiveStatus } from '../bills/bill-store.js';
import type { Bill, BillStatus } from '../bills/bill.js';
import { addDays } from '../money/calendar.js';

export interface BillFilter {
  status?: BillStatus;
  kind?: Bill['kind'];
  customerId?: string;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}

/**
 * Bills across customers for the operators' list, newest first. `overdue` is not stored: it is an
 * issued or partially paid bill past its payment deadline, so the status filter reads it from `today`.
 */
export async function searchBills(
  db: SqlExecutor,
  f: BillFilter,
  today: string,
): Promise<(Bill & { customerName: string })[]> {
  const late = `(status IN ('issued', 'partially-paid') AND amount_ttc > 0 AND payment_deadline < $1::date)`;
  const status =
    f.status === 'overdue'
      ? `($2::text IS NOT NULL AND ${late})`
      : f.status === 'issued' || f.status === 'partially-paid'
        ? `(status = $2 AND NOT ${late})`
        : `($2::text IS NULL OR status = $2)`;
  const { rows } = await db.query<Bill & { customerName: string }>(
    `SELECT ${BILL_COLUMNS}, (SELECT c.name FROM customers c WHERE c.id = bills.customer_id) AS "customerName"
       FROM bills
      WHERE $1::date IS NOT NULL AND ${status} AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR customer_id = $4)
        AND ($5::date IS NULL OR period_to >= $5::date) AND ($6::date IS NULL OR period_from <= $6::date)
      ORDER BY year DESC, seq DESC LIMIT $7 OFFSET $8`,
    [
      today,
      f.status ?? null,
      f.kind ?? null,
      f.customerId ?? null,
      f.from ?? null,
      f.to ?? null,
      f.limit ?? 100,
      f.offset ?? 0,
    ],
  );
  return rows.map((r) => ({ ...r, status: effectiveStatus(r, today) }));
}

export interface Receivables {
  asOf: string;
  /** Debits (bills, instalments) due in the 12 months up to asOf, net of credit notes and plans. */
  billed: number;
  /** What payments settled of them. */
  collected: number;
  /** collected / billed (0 when nothing was billed): the taux de recouvrement. */
  collectionRate: number;
  /** Open amounts past due by age in days; `notDue` is open but not due yet. */
  aged: { bucket: '0-30' | '31-60' | '61-90' | '>90'; amount: number; count: number }[];
  notDue: number;
}

/** Collection rate and aged receivables (issue 16 §11), from the allocations. */
export async function receivables(db: SqlExecutor, asOf: string): Promise<Receivables> {
  const since = addDays(asOf, -365);
  const { rows: rate } = await db.query<{ billed: number; collected: number }>(
    `WITH d AS (
       SELECT e.id, e.amount FROM account_entries e
        WHERE e.kind IN ('bill', 'regularisation', 'instalment') AND e.amount > 0
          AND e.due_date > $1::date AND e.due_date <= $2::date),
     a AS (SELECT a.amount, c.kind FROM payment_allocations a JOIN account_entries c ON c.id = a.credit_entry
            WHERE a.debit_entry IN (SELECT id FROM d))
     SELECT COALESCE((SELECT sum(amount) FROM d), 0)
              - COALESCE((SELECT sum(amount) FROM a WHERE kind IN ('credit-note', 'instalment-plan', 'deferral')), 0) AS billed,
            COALESCE((SELECT sum(amount) FROM a WHERE kind = 'payment'), 0) AS collected`,
    [since, asOf],
  );
  const { rows: open } = await db.query<{ age: number; amount: number }>(
    `SELECT ($1::date - due_date) AS age, amount - used AS amount FROM (
       SELECT e.due_date, e.amount,
              COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id), 0) AS used
         FROM account_entries e WHERE e.amount > 0 AND e.due_date IS NOT NULL) x
      WHERE amount > used`,
    [asOf],
  );
  const buckets = [
    { bucket: '0-30' as const, max: 30 },
    { bucket: '31-60' as const, max: 60 },
    { bucket: '61-90' as const, max: 90 },
    { bucket: '>90' as const, max: Infinity },
  ].map((b) => ({ ...b, amount: 0, count: 0 }));
  let notDue = 0;
  for (const o of open) {
    const age = Number(o.age);
    const amount = Number(o.amount);
    if (age <= 0) {
      notDue += amount;
      continue;
    }
    const b = buckets.find((x) => age <= x.max)!;
    b.amount += amount;
    b.count++;
  }
  const billed = Number(rate[0]!.billed);
  const collected = Number(rate[0]!.collected);
  return {
    asOf,
    billed,
    collected,
    collectionRate: billed > 0 ? Math.round((collected / billed) * 10_000) / 10_000 : 0,
    aged: buckets.map(({ max: _m, ...b }) => b),
    notDue,
  };
}
