import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { GatewayError, PostgresDatabase, type SqlDatabase } from '../../platform/index.js';
import { monthEnd } from '../money/calendar.js';
import { automaticPlans, decidePlan, instalmentsDue, requestPlan, settlePlanEarly } from '../plans/plans.js';
import { BillingRunner } from '../run/billing-run.js';
import { addAccount, measuredIndex, migrateBilling } from '../testing/world.js';
import { issueCreditNote, refundCredit } from './credit-notes.js';
import { recordPayment } from './payments.js';

let db: SqlDatabase;
let drop: () => Promise<void>;
const CUSTOMERS = 3;
const MONTHS = ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08'];

beforeAll(async () => {
  const created = await createTestDatabase('mg_billing_books');
  drop = created.drop;
  db = await new PostgresDatabase({ url: created.url }).start();
  await migrateBilling(db);
  for (let n = 1; n <= CUSTOMERS; n++) {
    await addAccount(db, n);
    let index = 1000;
    for (const m of MONTHS) await measuredIndex(db, `M-${n}`, monthEnd(m), (index += 80 + 60 * n));
  }
}, 60_000);
afterAll(async () => {
  await db?.close();
  await drop?.();
});

type Op =
  | { kind: 'run' }
  | { kind: 'payment'; customer: number; amount: number; onBill: boolean }
  | { kind: 'refund'; customer: number; amount: number }
  | { kind: 'credit-note'; pick: number; amount: number }
  | { kind: 'plan'; pick: number; months: number; deferral: boolean }
  | { kind: 'settle'; pick: number };

const customer = fc.integer({ min: 1, max: CUSTOMERS });
const amount = fc.integer({ min: 1, max: 60_000 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('run' as const) }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('payment' as const), customer, amount, onBill: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refund' as const), customer, amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('credit-note' as const), pick: fc.nat(), amount }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('plan' as const),
      pick: fc.nat(),
      months: fc.integer({ min: 2, max: 12 }),
      deferral: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat() }) },
);

/** The books' invariants, straight from the tables. */
async function checkBooks(): Promise<void> {
  const over = await db.query(
    `SELECT e.id FROM account_entries e
      WHERE abs(e.amount) < COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id OR a.credit_entry = e.id), 0)
         OR (e.amount > 0 AND EXISTS (SELECT 1 FROM payment_allocations a WHERE a.credit_entry = e.id))
         OR (e.amount < 0 AND EXISTS (SELECT 1 FROM payment_allocations a WHERE a.debit_entry = e.id))`,
  );
  expect(over.rows, 'an entry allocated beyond its amount or on the wrong side').toEqual([]);
  const { rows } = await db.query<{ id: string; balance: number; open: number; unused: number }>(
    `SELECT c.id,
            COALESCE((SELECT sum(amount) FROM account_entries e WHERE e.customer_id = c.id), 0) AS balance,
            COALESCE((SELECT sum(e.amount - COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id), 0))
                        FROM account_entries e WHERE e.customer_id = c.id AND e.amount > 0), 0) AS open,
            COALESCE((SELECT sum(-e.amount - COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.credit_entry = e.id), 0))
                        FROM account_entries e WHERE e.customer_id = c.id AND e.amount < 0), 0) AS unused
       FROM customers c`,
  );
  for (const r of rows) expect(Number(r.balance), r.id).toBe(Number(r.open) - Number(r.unused));
}

describe('the books on PostgreSQL under random operations (issue 16 §8)', () => {
  it('balance = sum of the entries, nothing allocated twice, after each of 300 operations', async () => {
    const runner = new BillingRunner({
      db,
      instalmentsDue,
      afterIssue: automaticPlans(),
      clock: () => new Date('2026-12-01T00:00:00Z'),
    });
    const ops = fc.sample(op, { numRuns: 300, seed: 1616 });
    let period = 0;
    const outcomes = new Map<string, number>();
    const pickBill = async (pick: number) => {
      const { rows } = await db.query<{ number: string; customer: string; ttc: number }>(
        `SELECT number, customer_id AS customer, amount_ttc AS ttc FROM bills WHERE kind <> 'credit-note' ORDER BY number`,
      );
      return rows.length ? rows[pick % rows.length] : undefined;
    };
    for (const [i, o] of [{ kind: 'run' } as Op, ...ops].entries()) {
      try {
        if (o.kind === 'run') {
          if (period < MONTHS.length)
            await runner.execute((await runner.create(MONTHS[period++]!, 'prop')).id);
        } else if (o.kind === 'payment') {
          const bill = o.onBill
            ? (
                await db.query<{ n: string }>(
                  `SELECT number AS n FROM bills WHERE customer_id = $1 AND kind <> 'credit-note' ORDER BY number DESC LIMIT 1`,
                  [`cust-${o.customer}`],
                )
              ).rows[0]?.n
            : undefined;
          await recordPayment(db, {
            customerId: `cust-${o.customer}`,
            ...(bill ? { billNumber: bill } : {}),
            amount: o.amount,
            channel: 'agency',
            reference: `P-${i}`,
            recordedBy: 'prop',
          });
        } else if (o.kind === 'refund') {
          await refundCredit(db, {
            customerId: `cust-${o.customer}`,
            amount: o.amount,
            reference: `R-${i}`,
            by: 'prop',
          });
        } else if (o.kind === 'credit-note') {
          const b = await pickBill(o.pick);
          if (b)
            await issueCreditNote(db, {
              billNumber: b.number,
              amount: o.amount,
              reason: 'prop',
              by: 'prop',
              today: '2026-12-01',
            });
        } else if (o.kind === 'plan') {
          const b = await pickBill(o.pick);
          if (b) {
            const plan = await requestPlan(db, {
              customerId: b.customer,
              billNumber: b.number,
              ...(o.deferral ? { kind: 'deferral' as const, deferUntil: '2027-01' } : { months: o.months }),
              by: 'prop',
              origin: 'customer',
              today: '2026-12-01',
            });
            await decidePlan(db, plan.id, 'approve', 'prop', '2026-12-01');
          }
        } else {
          const { rows } = await db.query<{ id: string }>(
            `SELECT id FROM instalment_plans WHERE status = 'active' ORDER BY id`,
          );
          if (rows.length) await settlePlanEarly(db, rows[o.pick % rows.length]!.id, 'prop', '2026-12-01');
        }
        outcomes.set(o.kind, (outcomes.get(o.kind) ?? 0) + 1);
      } catch (err) {
        // Refusals are part of the game (too much refunded or credited, nothing left to plan…): a 4xx, never a fault.
        if (!(err instanceof GatewayError) || err.statusCode >= 500) throw err;
        outcomes.set(`${o.kind}:${err.code}`, (outcomes.get(`${o.kind}:${err.code}`) ?? 0) + 1);
      }
      await checkBooks();
    }
    // Every kind of operation actually happened.
    for (const k of ['run', 'payment', 'refund', 'credit-note', 'plan', 'settle'])
      expect(outcomes.get(k), k).toBeGreaterThan(0);
  }, 300_000);
});
