import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../platform/index.js';
import { billingTestApp, type BillingTestApp } from '../testing/http.js';
import { addAccount, billingWorld, measuredIndex } from '../testing/world.js';

let db: SqlDatabase;
let t: BillingTestApp;
let op = '';
let now = new Date('2026-02-10T09:00:00Z');

beforeAll(async () => {
  db = await billingWorld();
  for (const n of [1, 2]) {
    await addAccount(db, n);
    await measuredIndex(db, `M-${n}`, '2026-01-31', 1180);
  }
  t = await billingTestApp(db, { clock: () => now });
  op = await t.key('operator');
  await t.billing.runner.execute((await t.billing.startRun('2026-01', 'test')).id);
});
afterAll(async () => {
  await t.close();
  await db.close();
});

describe("operators' billing views (issue 16 §11)", () => {
  it('lists bills across customers by status, runs, receivables and reminders', async () => {
    const res = await t.call('GET', '/api/bills', op);
    expect(res.json()).toHaveProperty('bills');
    const all = res.json().bills;
    expect(all.map((b: { customerName: string }) => b.customerName)).toEqual([
      'Prénom2 Nom2',
      'Prénom1 Nom1',
    ]);
    await t.call('POST', '/api/payments', op, {
      billNumber: all[1].number,
      amount: all[1].amountTTC,
      channel: 'agency',
      reference: 'A-1',
    });
    now = new Date('2026-03-18T09:00:00Z'); // J+15 of the 2026-03-02 deadline
    expect(await t.billing.remindNow()).toBe(1); // cust-2 only (SMS): cust-1 has paid
    now = new Date('2026-04-20T09:00:00Z'); // the deadline passed 49 days ago
    const overdue = (await t.call('GET', '/api/bills?status=overdue', op)).json().bills;
    expect(overdue.map((b: { number: string }) => b.number)).toEqual([all[0].number]);
    expect((await t.call('GET', '/api/bills?status=paid', op)).json().bills).toHaveLength(1);
    expect((await t.call('GET', '/api/bills?status=issued', op)).json().bills).toHaveLength(0);
    const r = (await t.call('GET', '/api/billing/receivables', op)).json();
    expect(r).toMatchObject({
      asOf: '2026-04-20',
      billed: all[0].amountTTC + all[1].amountTTC,
      collected: all[1].amountTTC,
      notDue: 0,
    });
    expect(r.collectionRate).toBeCloseTo(all[1].amountTTC / (all[0].amountTTC + all[1].amountTTC), 3);
    expect(r.aged).toEqual([
      { bucket: '0-30', amount: 0, count: 0 },
      { bucket: '31-60', amount: all[0].amountTTC, count: 1 },
      { bucket: '61-90', amount: 0, count: 0 },
      { bucket: '>90', amount: 0, count: 0 },
    ]);
    const runs = (await t.call('GET', '/api/billing/runs', op)).json().runs;
    expect(runs).toMatchObject([{ period: '2026-01', status: 'completed', progress: 1 }]);
    const rem = (await t.call('GET', '/api/billing/reminders', op)).json();
    expect(rem.schedule).toHaveLength(4);
    expect(
      rem.reminders.map((x: { customerId: string; step: string }) => `${x.customerId}/${x.step}`),
    ).toContain('cust-2/J+15');
    expect((await t.call('GET', '/api/bills', await t.key('customer', 'cust-1'))).statusCode).toBe(403);
  });
});
