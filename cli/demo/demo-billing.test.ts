import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILLING_TEST_MIGRATIONS } from '../../gateway/billing/testing/world.js';
import {
  NOTIFY_MIGRATIONS,
  PgliteDatabase,
  runMigrations,
  type SqlDatabase,
} from '../../gateway/platform/index.js';
import { DEMO_POSTPAID, seedDemoBilling } from './demo-billing.js';

let db: SqlDatabase;
const now = new Date('2026-12-03T10:00:00Z');

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await runMigrations(db, [...NOTIFY_MIGRATIONS, ...BILLING_TEST_MIGRATIONS]);
  await seedDemoBilling(db, { now });
}, 120_000);
afterAll(() => db.close());

describe('demo postpaid billing', () => {
  it('gives every postpaid customer two years of bills, some estimated, one regularised', async () => {
    const { rows } = await db.query<{
      customer: string;
      bills: number;
      estimated: number;
      regularisations: number;
    }>(
      `SELECT customer_id AS customer, count(*)::int AS bills, count(*) FILTER (WHERE estimated)::int AS estimated,
              count(*) FILTER (WHERE kind = 'regularisation')::int AS regularisations
         FROM bills GROUP BY customer_id ORDER BY customer_id`,
    );
    expect(rows.map((r) => r.customer)).toEqual(DEMO_POSTPAID.map((c) => c.id));
    for (const r of rows) expect(r.bills).toBeGreaterThanOrEqual(6);
    expect(rows.reduce((s, r) => s + r.estimated, 0)).toBeGreaterThanOrEqual(5);
    const reg = await db.query<{
      months: { month: string; consumption: number; billedConsumption: number }[];
      amount: number;
    }>(
      `SELECT months, amount_ttc AS amount FROM bills WHERE customer_id = 'PP-002' AND kind = 'regularisation'`,
    );
    expect(reg.rows).toHaveLength(1);
    expect(reg.rows[0]!.months.map((m) => m.month)).toEqual(['2026-06', '2026-07', '2026-08', '2026-09']);
    expect(reg.rows[0]!.amount).toBeGreaterThan(0); // the unread summer used more than estimated
    const kinds = await db.query<{ kind: string; n: number }>(
      `SELECT kind, count(*)::int AS n FROM customers GROUP BY kind`,
    );
    expect(kinds.rows).toEqual([{ kind: 'postpaid', n: DEMO_POSTPAID.length }]);
    // Self-readings are billed as such; the bimonthly water contract closes on even months only.
    const self = await db.query(
      `SELECT 1 FROM bills WHERE customer_id = 'PP-003' AND new_quality = 'self-read'`,
    );
    expect(self.rows.length).toBe(3);
    const water = await db.query<{ k: string }>(
      `SELECT period_key AS k FROM bills WHERE customer_id = 'PP-005'`,
    );
    for (const r of water.rows) expect(Number(r.k.slice(5)) % 2).toBe(0);
  });

  it('has paid bills, a regularisation spread over 6 months and an overdue bill with its reminders in the outbox', async () => {
    const plan = await db.query<{ origin: string; months: number; status: string; kind: string }>(
      `SELECT p.origin, p.months, p.status, b.kind FROM instalment_plans p JOIN bills b ON b.number = p.bill_number
        WHERE p.customer_id = 'PP-002'`,
    );
    expect(plan.rows).toEqual([
      {
        origin: 'automatic',
        months: 6,
        status: 'active',
        kind: 'regularisation',
      },
    ]);
    const paid = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM bills WHERE status = 'paid'`);
    expect(paid.rows[0]!.n).toBeGreaterThan(20);
    const overdue = await db.query<{ number: string }>(
      `SELECT number FROM bills WHERE customer_id = 'PP-003' AND status = 'issued' AND payment_deadline < $1::date`,
      [now.toISOString().slice(0, 10)],
    );
    expect(overdue.rows).toHaveLength(1);
    const sent = await db.query<{ step: string; status: string; channel: string; text: string }>(
      `SELECT r.step, o.status, o.channel, o.text FROM bill_reminders r JOIN notify_outbox o ON o.id = r.outbox_id
        WHERE r.bill_number = $1 ORDER BY r.scheduled_for`,
      [overdue.rows[0]!.number],
    );
    expect(sent.rows.map((r) => r.step)).toEqual(['J-3', 'J0', 'J+7', 'J+15'].slice(0, sent.rows.length));
    expect(sent.rows.length).toBeGreaterThanOrEqual(2);
    expect(sent.rows[0]).toMatchObject({ channel: 'sms', status: 'outbox-only' });
    expect(sent.rows.at(-1)!.text).toContain(overdue.rows[0]!.number);
  });

  it('is idempotent across restarts', async () => {
    const counts = async () =>
      (
        await db.query(
          `SELECT (SELECT count(*) FROM bill_payments)::int AS p, (SELECT count(*) FROM bill_reminders)::int AS r,
                  (SELECT count(*) FROM notify_outbox)::int AS o`,
        )
      ).rows[0];
    const paidBefore = await counts();
    const before = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bills');
    const again = await seedDemoBilling(db, { now });
    expect(again.bills).toBe(0);
    expect(await counts()).toEqual(paidBefore);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM bills')).rows[0]!.n).toBe(
      before.rows[0]!.n,
    );
  });
});
