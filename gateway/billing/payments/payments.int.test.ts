import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresDatabase, type SqlDatabase } from '../../platform/index.js';
import { BillingRunner } from '../run/billing-run.js';
import { billingTestApp, type BillingTestApp } from '../testing/http.js';
import { addAccount, measuredIndex, migrateBilling } from '../testing/world.js';

let db: SqlDatabase;
let drop: () => Promise<void>;
let t: BillingTestApp;
let op = '';
let me = '';
const clock = () => new Date('2026-03-10T09:00:00Z');

beforeAll(async () => {
  const created = await createTestDatabase('mg_billing_pay');
  drop = created.drop;
  db = await new PostgresDatabase({ url: created.url }).start();
  await migrateBilling(db);
  for (const n of [1, 2]) {
    await addAccount(db, n);
    await measuredIndex(db, `M-${n}`, '2026-01-31', 1180);
    await measuredIndex(db, `M-${n}`, '2026-02-28', 1350);
  }
  const runner = new BillingRunner({ db, clock });
  for (const p of ['2026-01', '2026-02']) await runner.execute((await runner.create(p, 'test')).id);
  t = await billingTestApp(db, { clock });
  op = await t.key('operator');
  me = await t.key('customer', 'cust-1');
}, 60_000);
afterAll(async () => {
  await t?.close();
  await db?.close();
  await drop?.();
});

const bills = async (customer: string) =>
  (await t.call('GET', `/api/customers/${customer}/bills`, op)).json().bills as {
    number: string;
    status: string;
    amountTTC: number;
  }[];
const sumEntries = async (customer: string) =>
  Number(
    (
      await db.query<{ s: number }>('SELECT sum(amount) AS s FROM account_entries WHERE customer_id = $1', [
        customer,
      ])
    ).rows[0]!.s,
  );

describe('payments on PostgreSQL (issue 16 §7, §8)', () => {
  it('allocates oldest due first, partially, and carries an overpayment as credit', async () => {
    const [feb, jan] = await bills('cust-1');
    expect(jan!.number < feb!.number).toBe(true);
    const part = await t.call('POST', '/api/payments', op, {
      customerId: 'cust-1',
      amount: 1000,
      channel: 'agency',
      reference: 'AG-0001',
    });
    expect(part.statusCode).toBe(201);
    expect(part.json()).toMatchObject({
      receiptNumber: expect.stringMatching(/^REC-\d{4}-\d{6}$/),
      allocations: [{ billNumber: jan!.number, kind: 'bill', amount: 1000 }],
      credit: 0,
    });
    expect((await bills('cust-1')).map((b) => b.status)).toEqual(['issued', 'overdue']); // January's deadline has passed

    const rest = jan!.amountTTC - 1000 + feb!.amountTTC;
    const all = (
      await t.call('POST', '/api/payments', op, {
        billNumber: feb!.number,
        amount: rest + 2500,
        channel: 'transfer',
        reference: 'VIR-77',
      })
    ).json();
    expect(all.allocations).toEqual([
      { billNumber: feb!.number, kind: 'bill', amount: feb!.amountTTC },
      { billNumber: jan!.number, kind: 'bill', amount: jan!.amountTTC - 1000 },
    ]);
    expect(all).toMatchObject({ credit: 2500, balance: -2500 });
    expect((await bills('cust-1')).map((b) => b.status)).toEqual(['paid', 'paid']);
    const balance = (await t.call('GET', '/api/customers/cust-1/balance', me)).json();
    expect(balance).toMatchObject({ balance: -2500, credit: 2500, overdue: 0 });
    expect(balance.balance).toBe(await sumEntries('cust-1'));
    expect(balance.entries.at(-1).runningBalance).toBe(-2500);
    const audit = await db.query(`SELECT actor, detail FROM audit_log WHERE action = 'billing.payment'`);
    expect(audit.rows).toHaveLength(2);
  });

  it('is idempotent by channel reference; a reused reference with another amount is a 409', async () => {
    const again = await t.call('POST', '/api/payments', op, {
      customerId: 'cust-1',
      amount: 1000,
      channel: 'agency',
      reference: 'AG-0001',
    });
    expect(again.statusCode).toBe(200);
    const first = await db.query(`SELECT id FROM bill_payments WHERE reference = 'AG-0001'`);
    expect(again.json().id).toBe(first.rows[0]!.id);
    expect(first.rows).toHaveLength(1);
    const other = await t.call('POST', '/api/payments', op, {
      customerId: 'cust-1',
      amount: 999,
      channel: 'agency',
      reference: 'AG-0001',
    });
    expect(other.json()).toMatchObject({ statusCode: 409, code: 'MG_ERR_BILLING_DUPLICATE' });
  });

  it('refuses bad amounts, unknown bills, payments on a cancelled bill — nothing recorded', async () => {
    const before = await sumEntries('cust-2');
    for (const amount of [-100, 0, 12.5, 1e308]) {
      const r = await t.call('POST', '/api/payments', op, {
        customerId: 'cust-2',
        amount,
        channel: 'wallet',
        reference: `W-${String(amount).replace('+', '')}`,
      });
      expect(r.json()).toMatchObject({ statusCode: 400, code: 'MG_ERR_BILLING_BAD_AMOUNT' });
    }
    const unknown = await t.call('POST', '/api/payments', op, {
      billNumber: '2026-999999',
      amount: 100,
      channel: 'wallet',
      reference: 'W-1',
    });
    expect(unknown.json()).toMatchObject({ statusCode: 404, code: 'MG_ERR_BILLING_UNKNOWN_BILL' });
    const [, jan] = await bills('cust-2');
    const note = await t.call('POST', `/api/bills/${jan!.number}/credit-notes`, op, {
      amount: jan!.amountTTC,
      reason: 'index erroné',
    });
    expect(note.statusCode).toBe(201);
    expect(note.json()).toMatchObject({ kind: 'credit-note', amountTTC: -jan!.amountTTC });
    expect(note.json().amountHT + note.json().tax).toBe(-jan!.amountTTC);
    expect((await bills('cust-2')).find((b) => b.number === jan!.number)!.status).toBe('cancelled');
    const onCancelled = await t.call('POST', '/api/payments', op, {
      billNumber: jan!.number,
      amount: 100,
      channel: 'wallet',
      reference: 'W-2',
    });
    expect(onCancelled.json()).toMatchObject({ statusCode: 409, code: 'MG_ERR_BILLING_BILL_CANCELLED' });
    const tooMuch = await t.call('POST', `/api/bills/${jan!.number}/credit-notes`, op, {
      amount: 1,
      reason: 'encore',
    });
    expect(tooMuch.json().code).toBe('MG_ERR_BILLING_TOO_MUCH');
    expect(await sumEntries('cust-2')).toBe(before - jan!.amountTTC);
    expect(
      (
        await t.call('POST', '/api/payments', me, {
          customerId: 'cust-1',
          amount: 1,
          channel: 'card',
          reference: 'x',
        })
      ).statusCode,
    ).toBe(403);
  });

  it('uses a credit on the next bill and refunds the rest', async () => {
    await measuredIndex(db, 'M-1', '2026-03-31', 1400);
    const runner = new BillingRunner({ db, clock: () => new Date('2026-04-10T09:00:00Z') });
    await runner.execute((await runner.create('2026-03', 'test')).id);
    const [mar] = await bills('cust-1');
    expect(mar!.status).toBe(mar!.amountTTC <= 2500 ? 'paid' : 'partially-paid');
    const bill = (await t.call('GET', `/api/bills/${mar!.number}`, op)).json();
    expect(bill.previousBalance).toBe(-2500);
    const refundable = -(await sumEntries('cust-1'));
    if (refundable > 0) {
      const r = await t.call('POST', '/api/customers/cust-1/refunds', op, {
        amount: refundable,
        reference: 'RB-1',
      });
      expect(r.json()).toMatchObject({ balance: 0 });
    }
    const tooMuch = await t.call('POST', '/api/customers/cust-1/refunds', op, {
      amount: 1,
      reference: 'RB-2',
    });
    expect(tooMuch.json().code).toBe('MG_ERR_BILLING_TOO_MUCH');
    // Nothing allocated beyond either side of any entry.
    const over = await db.query(`
      SELECT e.id FROM account_entries e
       WHERE abs(e.amount) < COALESCE((SELECT sum(amount) FROM payment_allocations a WHERE a.debit_entry = e.id OR a.credit_entry = e.id), 0)`);
    expect(over.rows).toEqual([]);
  });

  it('records one payment when the same reference arrives five times at once', async () => {
    // The same reference sent five times at once (a retrying client): one payment.
    const burst = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.call('POST', '/api/payments', op, {
          customerId: 'cust-2',
          amount: 700,
          channel: 'wallet',
          reference: 'WAL-BURST',
        }),
      ),
    );
    expect(new Set(burst.map((r) => r.json().id)).size).toBe(1);
    expect(burst.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
    expect((await db.query(`SELECT 1 FROM bill_payments WHERE reference = 'WAL-BURST'`)).rows).toHaveLength(
      1,
    );
  });
});
