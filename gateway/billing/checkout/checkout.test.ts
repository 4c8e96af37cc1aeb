import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../platform/index.js';
import { BillingRunner } from '../run/billing-run.js';
import { billingTestApp, type BillingTestApp } from '../testing/http.js';
import { addAccount, billingWorld, measuredIndex } from '../testing/world.js';
import { SimulatedProvider } from './provider.js';

let db: SqlDatabase;
let t: BillingTestApp;
let me = '';
const clock = () => new Date('2026-03-10T09:00:00Z');
const provider = new SimulatedProvider('test-provider-secret', 'https://agence.example.ma');

beforeAll(async () => {
  db = await billingWorld();
  await addAccount(db, 1);
  await addAccount(db, 2);
  await measuredIndex(db, 'M-1', '2026-01-31', 1180);
  await measuredIndex(db, 'M-1', '2026-02-28', 1350);
  await measuredIndex(db, 'M-2', '2026-01-31', 1100);
  const runner = new BillingRunner({ db, clock });
  for (const p of ['2026-01', '2026-02']) await runner.execute((await runner.create(p, 'test')).id);
  t = await billingTestApp(db, { clock });
  me = await t.key('customer', 'cust-1');
});
afterAll(async () => {
  await t.close();
  await db.close();
});

const count = async (sql: string) => Number((await db.query<{ n: number }>(sql)).rows[0]!.n);

describe('online payment through the simulated provider (issue 16 §7)', () => {
  it('pays several bills from the hosted page; the signed callback is recorded once', async () => {
    const bills = (await t.call('GET', '/api/customers/cust-1/bills', me)).json().bills;
    const numbers = bills.map((b: { number: string }) => b.number);
    const start = await t.call('POST', '/api/payments/checkout', me, {
      customerId: 'cust-1',
      billNumbers: numbers,
      returnUrl: '/agence/factures',
    });
    expect(start.statusCode).toBe(201);
    const { sessionId, checkoutUrl, amount } = start.json();
    expect(amount).toBe(bills.reduce((s: number, b: { amountTTC: number }) => s + b.amountTTC, 0));
    expect(checkoutUrl).toBe(`https://agence.example.ma/pay/sim/${sessionId}`);
    const page = await t.app.inject(`/pay/sim/${sessionId}`);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('id="approve"');
    expect(page.body).not.toMatch(/card number|numéro de carte/i);

    const paid = await t.app.inject({
      method: 'POST',
      url: `/pay/sim/${sessionId}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'decision=approve',
    });
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(`/agence/factures?checkout=${sessionId}&status=paid`);
    const session = (await t.call('GET', `/api/payments/checkout/${sessionId}`, me)).json();
    expect(session).toMatchObject({ status: 'paid', paymentId: expect.stringMatching(/^pay-/) });
    const after = (await t.call('GET', '/api/customers/cust-1/bills', me)).json().bills;
    expect(after.map((b: { status: string }) => b.status)).toEqual(['paid', 'paid']);

    // The same signed callback again (a replay): the same payment, nothing new.
    const payment = await db.query<{ reference: string }>('SELECT reference FROM bill_payments');
    const replay = provider.sign({
      sessionId,
      approved: true,
      amount,
      transactionId: payment.rows[0]!.reference,
      at: clock().toISOString(),
    });
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/payments/callback/simulated',
      payload: replay,
    });
    expect(again.json()).toMatchObject({ outcome: 'replay', paymentId: session.paymentId });
    // Another transaction for the paid session: refused.
    const second = provider.sign({
      sessionId,
      approved: true,
      amount,
      transactionId: 'SIM-2',
      at: clock().toISOString(),
    });
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/payments/callback/simulated',
      payload: second,
    });
    expect(refused.json().code).toBe('MG_ERR_BILLING_BAD_CALLBACK');
    expect(await count('SELECT count(*)::int AS n FROM bill_payments')).toBe(1);
  });

  it('refuses and logs a bad signature, a stale or forged callback; nothing is recorded', async () => {
    const bill = (await t.call('GET', '/api/customers/cust-2/bills', await t.key('operator'))).json()
      .bills[0];
    const start = (
      await t.call('POST', '/api/payments/checkout', await t.key('customer', 'cust-2'), {
        customerId: 'cust-2',
        billNumbers: [bill.number],
      })
    ).json();
    const good = {
      sessionId: start.sessionId,
      approved: true,
      amount: start.amount,
      transactionId: 'T-9',
      at: clock().toISOString(),
    };
    const forged = new SimulatedProvider('guess', 'x').sign(good);
    const tampered = { ...provider.sign(good), amount: '1' };
    const stale = provider.sign({ ...good, at: '2026-03-09T09:00:00Z' });
    for (const payload of [forged, tampered, stale, { sessionId: start.sessionId }]) {
      const r = await t.app.inject({ method: 'POST', url: '/api/payments/callback/simulated', payload });
      expect(r.json()).toMatchObject({ statusCode: 400, code: 'MG_ERR_BILLING_BAD_CALLBACK' });
    }
    expect(
      await count(`SELECT count(*)::int AS n FROM payment_callbacks WHERE outcome = 'refused'`),
    ).toBeGreaterThanOrEqual(4);
    expect(await count(`SELECT count(*)::int AS n FROM bill_payments WHERE customer_id = 'cust-2'`)).toBe(0);
    expect((await t.call('GET', `/api/payments/checkout/${start.sessionId}`, me)).statusCode).toBe(403);
    // A customer cannot start a checkout of someone else's bills.
    const other = await t.call('POST', '/api/payments/checkout', me, {
      customerId: 'cust-2',
      billNumbers: [bill.number],
    });
    expect(other.statusCode).toBe(403);
    const open = await t.call('POST', '/api/payments/checkout', me, {
      customerId: 'cust-1',
      billNumbers: ['2026-000001'],
      returnUrl: '//evil.example',
    });
    expect(open.json().code).toBe('MG_ERR_HTTP_VALIDATION');
  });
});
