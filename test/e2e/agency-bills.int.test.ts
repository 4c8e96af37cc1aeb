/**
 * "My bills" over HTTP on real PostgreSQL with bills issued by real billing runs: the last 6 by
 * default with the table's exact fields, filters, the bill PDF (own only: another customer's bill
 * number answers like an unknown one), XLSX and PDF exports, the 6-month chart data and the global
 * statistics workbook; nothing before the temporary password is changed.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyWorld, BILLED_MONTHS, PEOPLE, signIn, type AgencyWorld } from './agency-harness.js';

let w: AgencyWorld;
let cookie = '';
const get = (url: string, c = cookie) => w.app.inject({ method: 'GET', url, headers: { cookie: c } });

beforeAll(async () => {
  w = await agencyWorld();
  cookie = (await signIn(w, PEOPLE[0]!, 'client.un')).cookie;
}, 120_000);
afterAll(async () => w?.close());

describe('agency: my bills', () => {
  it('answers 403 "password change required" before the temporary password is replaced', async () => {
    const first = await signIn(w, PEOPLE[1]!, 'client.deux', false);
    const r = await get('/api/agency/bills', first.cookie);
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('MG_ERR_AGENCY_PASSWORD_CHANGE_REQUIRED');
    expect((await get('/api/agency/bills', '')).statusCode).toBe(401);
  });

  it('lists the last 6 bills with the table fields, newest first', async () => {
    const r = await get('/api/agency/bills');
    expect(r.statusCode).toBe(200);
    const bills = r.json().bills;
    expect(bills).toHaveLength(6);
    expect(bills.map((b: { periodFrom: string }) => b.periodFrom.slice(0, 7))).toEqual(
      BILLED_MONTHS.slice(1).reverse(),
    );
    expect(Object.keys(bills[0]).sort()).toEqual(
      expect.arrayContaining([
        'customerNumber',
        'contract',
        'meter',
        'dueDate',
        'paymentDeadline',
        'amountHT',
        'amountTTC',
        'number',
        'pdf',
      ]),
    );
    expect(bills[0].customerNumber).toBe(PEOPLE[0]!.customerNumber);
    expect(Number.isInteger(bills[0].amountTTC)).toBe(true);
    expect(bills[0].amountTTC).toBeGreaterThan(bills[0].amountHT);
    const all = (await get('/api/agency/bills?limit=100')).json().bills;
    expect(all).toHaveLength(7);
    const due = all[3].dueDate.slice(0, 7);
    const filtered = (await get(`/api/agency/bills?due=${due}&contract=${PEOPLE[0]!.contract}`)).json().bills;
    expect(filtered.every((b: { dueDate: string }) => b.dueDate.startsWith(due))).toBe(true);
    expect(filtered.length).toBeGreaterThan(0);
    expect((await get('/api/agency/bills?contract=E-OTHER')).json().bills).toHaveLength(0);
    expect((await get('/api/agency/bills?due=2026-13-99')).statusCode).toBe(400);
  });

  it("serves my bill's PDF and refuses another customer's bill number like an unknown one", async () => {
    const mine = (await get('/api/agency/bills')).json().bills[0];
    const pdf = await get(mine.pdf);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const theirs = await w.app.inject({
      method: 'GET',
      url: `/api/customers/${PEOPLE[1]!.id}/bills`,
      headers: { 'x-api-key': w.operatorKey },
    });
    const other = theirs.json().bills[0].number as string;
    const r = await get(`/api/agency/bills/${other}.pdf`);
    expect(r.statusCode).toBe(404);
    expect(r.body).not.toContain('%PDF');
    const unknown = await get('/api/agency/bills/2099-999999.pdf');
    expect(unknown.statusCode).toBe(404);
    expect(r.json().code).toBe(unknown.json().code);
  });

  it('exports the table as XLSX and PDF', async () => {
    const x = await get('/api/agency/bills/export.xlsx');
    expect(x.statusCode).toBe(200);
    expect(x.headers['content-disposition']).toMatch(/^attachment/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect(sheet.rowCount).toBe(7);
    expect(sheet.getRow(1).getCell(1).value).toBe('N° client');
    expect(typeof sheet.getRow(2).getCell(7).value).toBe('number');
    const p = await get('/api/agency/bills/export.pdf');
    expect(p.statusCode).toBe(200);
    expect(p.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('reports: 6 months of amounts and consumption, and the global statistics workbook', async () => {
    const r = (await get('/api/agency/reports/monthly')).json();
    expect(r.months.map((m: { month: string }) => m.month)).toEqual(BILLED_MONTHS.slice(1));
    expect(
      r.months.every((m: { amountTTC: number; consumption: number }) => m.amountTTC > 0 && m.consumption > 0),
    ).toBe(true);
    const x = await get('/api/agency/reports/statistics.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets[0]!.rowCount).toBe(8);
    expect(wb.worksheets[1]!.rowCount).toBe(8);
  });
});

describe('agency: pay online', () => {
  it('pays two bills through the simulated provider: receipt, bills paid at once, receipt e-mail', async () => {
    const bills = (await get('/api/agency/bills')).json().bills.slice(0, 2);
    const start = await w.app.inject({
      method: 'POST',
      url: '/api/agency/payments',
      headers: { cookie },
      payload: { bills: bills.map((b: { number: string }) => b.number) },
    });
    expect(start.statusCode, start.body).toBe(201);
    const { sessionId, checkoutUrl, amount } = start.json();
    // What is still open on these two bills (amountDue also carries the earlier balance).
    expect(amount).toBe(bills[0].amountTTC + bills[1].amountTTC);
    const page = new URL(checkoutUrl).pathname;
    const decide = await w.app.inject({
      method: 'POST',
      url: page,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'decision=approve',
    });
    expect(decide.statusCode, decide.body).toBe(303);
    expect(decide.headers.location).toContain('/ui/agency/#/receipt');
    const receipt = (await get(`/api/agency/payments/${sessionId}`)).json();
    expect(receipt).toMatchObject({ status: 'paid', amount });
    expect(receipt.bills.map((b: { status: string }) => b.status)).toEqual(['paid', 'paid']);
    await get(`/api/agency/payments/${sessionId}`);
    const out = await w.app.inject({
      method: 'GET',
      url: `/api/outbox?to=${encodeURIComponent(PEOPLE[0]!.email)}`,
      headers: { 'x-api-key': w.operatorKey },
    });
    const receipts = out.json().messages.filter((m: { template: string }) => m.template === 'agency_receipt');
    expect(receipts).toHaveLength(1);
    const theirs = await w.app.inject({
      method: 'POST',
      url: '/api/agency/payments',
      headers: { cookie },
      payload: { bills: ['2099-000001'] },
    });
    expect(theirs.statusCode).toBe(404);
  });
});

describe('agency: consumption, self-reading and alerts with the same sign-in', () => {
  it('shows my meters, their monthly consumption, takes a self-reading, lists alerts; not another meter', async () => {
    const meters = (await get('/api/agency/meters')).json().meters;
    expect(meters).toEqual([
      expect.objectContaining({ meter: PEOPLE[0]!.meter, contract: PEOPLE[0]!.contract, unit: 'kWh' }),
    ]);
    const c = (await get(`/api/agency/consumption?meter=${PEOPLE[0]!.meter}&months=12`)).json();
    expect(
      c.months.some(
        (m: { month: string; consumption: number }) => m.month === '2026-07' && m.consumption > 0,
      ),
    ).toBe(true);
    const sr = await w.app.inject({
      method: 'POST',
      url: '/api/agency/self-readings',
      headers: { cookie },
      payload: { meter: PEOPLE[0]!.meter, index: 2600 },
    });
    expect(sr.statusCode, sr.body).toBe(201);
    expect(sr.json().status).toBe('accepted');
    const list = (await get(`/api/agency/self-readings?meter=${PEOPLE[0]!.meter}`)).json().readings;
    expect(list[0]).toMatchObject({ index: 2600, status: 'accepted' });
    const theirs = await w.app.inject({
      method: 'POST',
      url: '/api/agency/self-readings',
      headers: { cookie },
      payload: { meter: PEOPLE[1]!.meter, index: 9999 },
    });
    expect(theirs.statusCode).toBe(404);
    expect((await get(`/api/agency/consumption?meter=${PEOPLE[1]!.meter}`)).statusCode).toBe(404);
    expect((await get('/api/agency/alerts')).json()).toEqual({ alerts: [] });
  });
});
