import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../platform/index.js';
import { addMonths, monthEnd } from '../money/calendar.js';
import { billingTestApp, type BillingTestApp } from '../testing/http.js';
import { addAccount, billingWorld, measuredIndex } from '../testing/world.js';
import { splitAmount } from './plans.js';

let db: SqlDatabase;
let t: BillingTestApp;
let op = '';
let me = '';
let now = new Date('2026-03-10T09:00:00Z');
const clock = () => now;

async function bill(period: string) {
  await t.billing.runner.execute((await t.billing.runner.create(period, 'test')).id);
}

beforeAll(async () => {
  db = await billingWorld();
  await addAccount(db, 1);
  // Six ordinary months (100 kWh), then a 700 kWh January: above 1.5 × the mean of the last 6 bills.
  let index = 1000;
  await measuredIndex(db, 'M-1', '2025-06-30', index);
  for (let m = '2025-07'; m <= '2026-03'; m = addMonths(m, 1)) {
    index += m === '2026-01' ? 700 : 100;
    await measuredIndex(db, 'M-1', monthEnd(m), index);
  }
  // Any bill may be spread here (the default is regularisations only).
  t = await billingTestApp(db, { clock, plans: { kinds: ['periodic', 'regularisation'] } });
  op = await t.key('operator');
  me = await t.key('customer', 'cust-1');
  for (let m = '2025-07'; m <= '2026-01'; m = addMonths(m, 1)) await bill(m);
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const plans = async () => (await t.call('GET', '/api/customers/cust-1/instalment-plans', me)).json().plans;
const bills = async () => (await t.call('GET', '/api/customers/cust-1/bills', me)).json().bills;

describe('instalment plans and deferrals (issue 16 §6)', () => {
  it('splits amounts to the centime', () => {
    expect(splitAmount(1001, 6)).toEqual([167, 167, 167, 167, 167, 166]);
    expect(splitAmount(1001, 6).reduce((a, b) => a + b, 0)).toBe(1001);
  });

  it('spreads a bill above 1.5 × the usual level over 6 months, automatically', async () => {
    const [jan] = await bills();
    expect(jan.status).toBe('in-plan');
    const [plan] = await plans();
    expect(plan).toMatchObject({
      billNumber: jan.number,
      origin: 'automatic',
      status: 'active',
      months: 6,
      amount: jan.amountTTC,
    });
    expect(plan.instalments.map((i: { dueMonth: string }) => i.dueMonth)).toEqual([
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
    ]);
    const balance = (await t.call('GET', '/api/customers/cust-1/balance', me)).json();
    expect(balance.inPlan).toBe(jan.amountTTC);
    expect(balance.entries.find((e: { kind: string }) => e.kind === 'instalment-plan').amount).toBe(
      -jan.amountTTC,
    );
    // The ordinary bills are not spread.
    expect((await plans()).length).toBe(1);
  });

  it('puts the month instalment on the next bill', async () => {
    await bill('2026-02');
    const [feb] = await bills();
    const detail = (await t.call('GET', `/api/bills/${feb.number}`, me)).json();
    const [plan] = await plans();
    expect(detail.instalmentsDue).toBe(plan.instalments[0].amount);
    expect(plan.instalments[0].posted).toBe(true);
    expect(plan.instalments[1].posted).toBe(false);
  });

  it('refuses 0 or 50 months, takes a request, lets an operator approve or refuse it', async () => {
    const [feb, , dec] = await bills();
    for (const months of [0, 50, 1]) {
      const r = await t.call('POST', '/api/customers/cust-1/instalment-plans', me, {
        billNumber: feb.number,
        months,
      });
      expect(r.json()).toMatchObject({ statusCode: 400, code: 'MG_ERR_BILLING_BAD_PLAN' });
    }
    const badDeferral = await t.call('POST', '/api/customers/cust-1/instalment-plans', me, {
      billNumber: feb.number,
      kind: 'deferral',
      deferUntil: '2027-01',
    });
    expect(badDeferral.json().code).toBe('MG_ERR_BILLING_BAD_PLAN');
    const req = await t.call('POST', '/api/customers/cust-1/instalment-plans', me, {
      billNumber: feb.number,
      months: 3,
    });
    expect(req.statusCode).toBe(201);
    expect(req.json()).toMatchObject({ status: 'requested', origin: 'customer', instalments: [] });
    const twice = await t.call('POST', '/api/customers/cust-1/instalment-plans', me, {
      billNumber: feb.number,
      months: 4,
    });
    expect(twice.json()).toMatchObject({ statusCode: 409, code: 'MG_ERR_BILLING_PLAN_STATE' });
    const waiting = (await t.call('GET', '/api/instalment-plans?status=requested', op)).json().plans;
    expect(waiting.map((p: { id: string }) => p.id)).toEqual([req.json().id]);
    expect(
      (await t.call('POST', `/api/instalment-plans/${req.json().id}/decision`, me, { decision: 'approve' }))
        .statusCode,
    ).toBe(403);
    const ok = await t.call('POST', `/api/instalment-plans/${req.json().id}/decision`, op, {
      decision: 'approve',
    });
    expect(ok.json()).toMatchObject({ status: 'active', months: 3 });
    expect(ok.json().instalments.reduce((s: number, i: { amount: number }) => s + i.amount, 0)).toBe(
      ok.json().amount,
    );
    expect((await bills())[0].status).toBe('in-plan');

    const deferral = await t.call('POST', '/api/customers/cust-1/instalment-plans', me, {
      billNumber: dec.number,
      kind: 'deferral',
      deferUntil: '2026-04',
    });
    expect(deferral.json()).toMatchObject({ kind: 'deferral', status: 'requested' });
    const no = await t.call('POST', `/api/instalment-plans/${deferral.json().id}/decision`, op, {
      decision: 'refuse',
    });
    expect(no.json().status).toBe('refused');
    const again = await t.call('POST', `/api/instalment-plans/${deferral.json().id}/decision`, op, {
      decision: 'approve',
    });
    expect(again.json().code).toBe('MG_ERR_BILLING_PLAN_STATE');
  });

  it('settles a plan early: the rest falls due, and once paid the plan completes and the bill is paid', async () => {
    const auto = (await plans()).find((p: { origin: string }) => p.origin === 'automatic');
    const early = await t.call('POST', `/api/instalment-plans/${auto.id}/settle`, me);
    expect(early.json().instalments.every((i: { posted: boolean }) => i.posted)).toBe(true);
    const { balance } = (await t.call('GET', '/api/customers/cust-1/balance', me)).json();
    const paid = await t.call('POST', '/api/payments', op, {
      customerId: 'cust-1',
      amount: balance,
      channel: 'agency',
      reference: 'AG-ALL',
    });
    expect(paid.json().balance).toBe(0);
    expect((await plans()).find((p: { id: string }) => p.id === auto.id).status).toBe('completed');
    const jan = (await bills()).find((b: { number: string }) => b.number === auto.billNumber);
    expect(jan.status).toBe('paid');
    expect((await t.call('GET', '/api/customers/cust-1/balance', me)).json()).toMatchObject({
      balance: 0,
      inPlan: expect.any(Number),
    });
  });

  it('reminds a missed instalment carried by a paid bill', async () => {
    now = new Date('2026-04-10T09:00:00Z');
    await bill('2026-03');
    const [mar] = await bills();
    const detail = (await t.call('GET', `/api/bills/${mar.number}`, me)).json();
    expect(detail.instalmentsDue).toBeGreaterThan(0); // the 3-month plan's first instalment
    await t.call('POST', '/api/payments', op, {
      billNumber: mar.number,
      amount: mar.amountTTC,
      channel: 'wallet',
      reference: 'W-MAR',
    });
    expect((await bills())[0].status).toBe('paid');
    now = new Date(`${mar.paymentDeadline}T09:00:00Z`); // J0
    const before = t.sent.length;
    expect(await t.billing.remindNow()).toBe(1);
    const sms = t.sent[before]!;
    expect(sms).toMatchObject({ channel: 'sms', template: 'bill-reminder' });
    expect(sms.text).toContain(mar.number);
    expect(sms.text).toContain((detail.instalmentsDue / 100).toFixed(2).replace('.', ','));
  });
});
