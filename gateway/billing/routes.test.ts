import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin, createApiKey, type SqlDatabase } from '../platform/index.js';
import { BillingFeature } from './billing-feature.js';
import type { OutboxMessage } from './delivery/bill-delivery.js';
import { billLinkToken } from './delivery/bill-links.js';
import { pdfRuns } from './testing/pdf-text.js';
import { addAccount, billingWorld, measuredIndex } from './testing/world.js';

let db: SqlDatabase;
let app: FastifyInstance;
let billing: BillingFeature;
const sent: OutboxMessage[] = [];
const keys = { operator: '', customer: '', other: '' };
const clock = () => new Date('2026-02-10T09:00:00Z');

beforeAll(async () => {
  db = await billingWorld();
  await addAccount(db, 1, { email: 'client1@example.ma' });
  await addAccount(db, 2);
  await measuredIndex(db, 'M-1', '2026-01-31', 1180);
  await measuredIndex(db, 'M-2', '2026-01-31', 1090);
  billing = new BillingFeature({
    db,
    clock,
    send: async (m) => {
      sent.push(m);
      return { id: `out-${sent.length}`, status: 'queued' };
    },
    publicUrl: 'https://agence.example.ma',
    linkSecret: 'test-link-secret',
    deliveryEveryMs: false,
    log: (level, message) => {
      if (level !== 'info') console.log(level, message);
    },
  });
  await billing.start();
  app = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  await app.register(authPlugin, { db, rateLimit: false });
  await app.register(billing.feature.plugin, billing.feature.options);
  await app.ready();
  keys.operator = (await createApiKey(db, { role: 'operator' })).key;
  keys.customer = (await createApiKey(db, { role: 'customer', customerId: 'cust-1' })).key;
  keys.other = (await createApiKey(db, { role: 'customer', customerId: 'cust-2' })).key;
});
afterAll(async () => {
  await app.close();
  await billing.stop();
  await db.close();
});

const get = (url: string, key: string) => app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });

async function waitRun(id: string) {
  for (let i = 0; i < 200; i++) {
    const r = (await get(`/api/billing/runs/${id}`, keys.operator)).json();
    if (r.status !== 'running') return r;
    await new Promise((res) => setImmediate(res));
  }
  throw new Error('run did not finish');
}

describe('billing API', () => {
  it('runs a period, reports progress, delivers SMS and e-mail', async () => {
    const start = await app.inject({
      method: 'POST',
      url: '/api/billing/runs',
      headers: { 'x-api-key': keys.operator },
      payload: { period: '2026-01' },
    });
    expect(start.statusCode).toBe(202);
    const run = await waitRun(start.json().id);
    expect(run).toMatchObject({ status: 'completed', total: 2, issued: 2, progress: 1 });
    await billing.deliverNow();
    const sms = sent.filter((m) => m.channel === 'sms');
    expect(sms).toHaveLength(2);
    expect(sms[0]!.text).toMatch(
      /^Facture 2026-000001 : \d+,\d\d MAD, échéance 2026-02-15, à payer avant le 2026-03-02\. https:\/\/agence\.example\.ma\/b\/2026-000001\.[\w-]{12}$/,
    );
    const mail = sent.filter((m) => m.channel === 'email');
    expect(mail).toHaveLength(1); // customer 2 has no e-mail address
    expect(mail[0]!.attachments![0]!.contentType).toBe('application/pdf');
    expect((await pdfRuns(mail[0]!.attachments![0]!.content)).runs.join(' ')).toContain('2026-000001');
    // Swept again: nothing new goes out.
    expect(await billing.deliverNow()).toBe(0);
    const again = await app.inject({
      method: 'POST',
      url: '/api/billing/runs',
      headers: { 'x-api-key': keys.operator },
      payload: { period: '2026-01' },
    });
    expect((await waitRun(again.json().id)).skipped).toBe(2);
  });

  it('lists customers by kind with their contracts (operators only)', async () => {
    const res = await get('/api/customers?kind=postpaid', keys.operator);
    expect(res.statusCode).toBe(200);
    expect(res.json().customers[0]).toEqual({
      id: 'cust-1',
      customerNumber: '1000001',
      name: 'Prénom1 Nom1',
      kind: 'postpaid',
      contracts: [{ number: 'E-0000001', service: 'electricity', meter: 'M-1' }],
    });
    expect((await get('/api/customers?kind=prepaid', keys.operator)).json().customers).toEqual([]);
    expect((await get('/api/customers', keys.customer)).statusCode).toBe(403);
    expect((await get('/api/customers?kind=other', keys.operator)).json().code).toBe(
      'MG_ERR_HTTP_VALIDATION',
    );
  });

  it('shows a customer their own record and bills, never another one', async () => {
    const me = await get('/api/customers/cust-1', keys.customer);
    expect(me.json()).toMatchObject({
      id: 'cust-1',
      mobile: expect.any(String),
      email: 'client1@example.ma',
      language: 'fr',
      cin: null,
    });
    const other = await get('/api/customers/cust-2', keys.customer);
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe('MG_ERR_BILLING_FORBIDDEN');
    const bills = (
      await get('/api/customers/cust-1/bills?from=2026-01-01&contract=E-0000001', keys.customer)
    ).json().bills;
    expect(bills).toEqual([
      expect.objectContaining({
        number: '2026-000001',
        customerNumber: '1000001',
        contract: 'E-0000001',
        meter: 'M-1',
        status: 'issued',
        estimated: false,
        kind: 'periodic',
      }),
    ]);
    expect(Number.isInteger(bills[0].amountTTC)).toBe(true);
    expect(bills[0].amountTTC).toBe(bills[0].amountHT + bills[0].tax);
    expect((await get('/api/customers/cust-2/bills', keys.customer)).statusCode).toBe(403);
    expect((await get('/api/bills/2026-000002', keys.customer)).statusCode).toBe(403);
    expect((await get('/api/customers/nobody/bills', keys.operator)).json().code).toBe(
      'MG_ERR_BILLING_UNKNOWN_CUSTOMER',
    );
  });

  it('serves a bill as JSON and PDF in the asked language; bad input is a 4xx with a code', async () => {
    const bill = (await get('/api/bills/2026-000001', keys.customer)).json();
    expect(bill).toMatchObject({
      number: '2026-000001',
      previousIndex: 1000,
      newIndex: 1180,
      newQuality: 'real',
      consumption: 180,
    });
    const pdf = await get('/api/bills/2026-000001.pdf?lang=ar', keys.customer);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((await pdfRuns(pdf.rawPayload)).runs).toContain('فاتورة');
    expect((await get('/api/bills/2026-999999', keys.operator)).json()).toMatchObject({
      statusCode: 404,
      code: 'MG_ERR_BILLING_UNKNOWN_BILL',
    });
    expect((await get('/api/bills/not-a-bill', keys.operator)).json().code).toBe('MG_ERR_HTTP_VALIDATION');
    expect((await get('/api/customers/cust-1/bills?from=2026-13-99x', keys.operator)).statusCode).toBe(400);
    const bad = await app.inject({
      method: 'POST',
      url: '/api/billing/runs',
      headers: { 'x-api-key': keys.operator },
      payload: { period: '2026-02' },
    });
    expect(bad.json()).toMatchObject({ statusCode: 400, code: 'MG_ERR_BILLING_BAD_PERIOD' });
    const forbidden = await app.inject({
      method: 'POST',
      url: '/api/billing/runs',
      headers: { 'x-api-key': keys.customer },
      payload: { period: '2026-01' },
    });
    expect(forbidden.statusCode).toBe(403);
    expect((await get('/api/billing/runs/run-x', keys.operator)).json().code).toBe(
      'MG_ERR_BILLING_UNKNOWN_RUN',
    );
  });

  it('opens a bill from the signed SMS link without credentials, refuses a forged one', async () => {
    const ok = await app.inject(`/b/${billLinkToken('test-link-secret', '2026-000001')}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('application/pdf');
    const forged = await app.inject(`/b/${billLinkToken('guess', '2026-000001')}`);
    expect(forged.json()).toMatchObject({ statusCode: 403, code: 'MG_ERR_BILLING_BAD_LINK' });
  });
});
