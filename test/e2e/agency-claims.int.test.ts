/**
 * Claims and requests over HTTP on real PostgreSQL: filed as JSON or multipart with attachments
 * (type recognised by content: HTML or SVG renamed .pdf refused, 50 MB refused, nothing stored),
 * served back only as downloads, tracked through the workflow by an operator with an SMS at each
 * change, a message thread, overdue markers in the queue, and no access to another customer's cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agencyWorld, multipartBody, PEOPLE, signIn, TINY_PDF, type AgencyWorld } from './agency-harness.js';

let w: AgencyWorld;
let cookie = '';
let other = '';
let password = '';
beforeAll(async () => {
  w = await agencyWorld();
  ({ cookie, password } = await signIn(w, PEOPLE[0]!, 'client.un'));
  other = (await signIn(w, PEOPLE[1]!, 'client.deux')).cookie;
}, 120_000);
afterAll(async () => w?.close());

const as = (c: string) => ({ cookie: c });
const op = () => ({ 'x-api-key': w.operatorKey });
const count = async (table: string) =>
  (await w.agency.options.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
const claim = {
  category: 'bill-contested',
  subject: 'Facture trop élevée',
  message: 'Ma facture de juin est le double de celle de mai.',
};

describe('agency: claims and requests', () => {
  let tn = '';
  it('files a claim as JSON linked to my bill: tracking number, submitted, target date', async () => {
    const bill = (await w.app.inject({ method: 'GET', url: '/api/agency/bills', headers: as(cookie) })).json()
      .bills[0];
    const r = await w.app.inject({
      method: 'POST',
      url: '/api/agency/claims',
      headers: as(cookie),
      payload: { ...claim, bill: bill.number },
    });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ status: 'submitted', targetDate: '2026-08-25' });
    tn = r.json().trackingNumber;
    expect(tn).toMatch(/^RC-2026-\d{6}$/);
    const d = (
      await w.app.inject({ method: 'GET', url: `/api/agency/claims/${tn}`, headers: as(cookie) })
    ).json();
    expect(d).toMatchObject({ trackingNumber: tn, status: 'submitted', bill: bill.number, messages: [] });
    expect(d.history.map((h: { status: string }) => h.status)).toEqual(['submitted']);
  });

  it("refuses another customer's bill or meter, and hides my claim from them", async () => {
    const before = await count('agency_cases');
    const theirBill = (
      await w.app.inject({ method: 'GET', url: '/api/agency/bills', headers: as(other) })
    ).json().bills[0].number;
    for (const link of [{ bill: theirBill }, { meter: PEOPLE[1]!.meter }]) {
      const r = await w.app.inject({
        method: 'POST',
        url: '/api/agency/claims',
        headers: as(cookie),
        payload: { ...claim, ...link },
      });
      expect(r.statusCode).toBe(404);
    }
    expect(await count('agency_cases')).toBe(before);
    expect(
      (await w.app.inject({ method: 'GET', url: `/api/agency/claims/${tn}`, headers: as(other) })).statusCode,
    ).toBe(404);
  });

  let withFile = '';
  it('files a claim with a PDF attachment (multipart), served back only as a download', async () => {
    const body = multipartBody({ ...claim, category: 'meter-fault', meter: PEOPLE[0]!.meter }, [
      { name: 'attachments', filename: 'photo compteur.pdf', type: 'application/pdf', content: TINY_PDF },
    ]);
    const r = await w.app.inject({
      method: 'POST',
      url: '/api/agency/claims',
      headers: { ...as(cookie), ...body.headers },
      payload: body.payload,
    });
    expect(r.statusCode, r.body).toBe(201);
    withFile = r.json().trackingNumber;
    const d = (
      await w.app.inject({ method: 'GET', url: `/api/agency/claims/${withFile}`, headers: as(cookie) })
    ).json();
    expect(d.attachments).toHaveLength(1);
    expect(d.attachments[0]).toMatchObject({
      filename: 'photo_compteur.pdf',
      contentType: 'application/pdf',
    });
    const f = await w.app.inject({ method: 'GET', url: d.attachments[0].url, headers: as(cookie) });
    expect(f.statusCode).toBe(200);
    expect(f.headers['content-disposition']).toMatch(/^attachment;/);
    expect(f.headers['x-content-type-options']).toBe('nosniff');
    expect(f.rawPayload.equals(TINY_PDF)).toBe(true);
    expect(
      (await w.app.inject({ method: 'GET', url: d.attachments[0].url, headers: as(other) })).statusCode,
    ).toBe(404);
  });

  it('refuses HTML or SVG renamed .pdf and a 50 MB upload, storing nothing', async () => {
    const cases = await count('agency_cases');
    const files = await count('agency_attachments');
    const hostile = [
      Buffer.from('<!DOCTYPE html><html><script>alert(1)</script></html>'),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
      Buffer.from('  <html><body>%PDF-1.4</body></html>'),
    ];
    for (const content of hostile) {
      const body = multipartBody(claim, [
        { name: 'attachments', filename: 'facture.pdf', type: 'application/pdf', content },
      ]);
      const r = await w.app.inject({
        method: 'POST',
        url: '/api/agency/claims',
        headers: { ...as(cookie), ...body.headers },
        payload: body.payload,
      });
      expect(r.statusCode).toBe(415);
      expect(r.json().code).toBe('MG_ERR_AGENCY_BAD_ATTACHMENT');
    }
    const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
    TINY_PDF.copy(big);
    const body = multipartBody(claim, [
      { name: 'attachments', filename: 'gros.pdf', type: 'application/pdf', content: big },
    ]);
    const r = await w.app.inject({
      method: 'POST',
      url: '/api/agency/claims',
      headers: { ...as(cookie), ...body.headers },
      payload: body.payload,
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().code).toBe('MG_ERR_AGENCY_ATTACHMENT_TOO_LARGE');
    expect(await count('agency_cases')).toBe(cases);
    expect(await count('agency_attachments')).toBe(files);
  });

  it('an operator moves the claim to resolved; the customer sees the history and got an SMS each time', async () => {
    const queue = (
      await w.app.inject({ method: 'GET', url: '/api/agency/queue?status=submitted', headers: op() })
    ).json();
    expect(queue.cases.map((c: { trackingNumber: string }) => c.trackingNumber)).toContain(tn);
    for (const status of ['acknowledged', 'in-progress', 'resolved']) {
      const r = await w.app.inject({
        method: 'POST',
        url: `/api/agency/queue/${tn}/status`,
        headers: op(),
        payload: { status, note: status === 'resolved' ? 'Index corrigé, avoir émis.' : undefined },
      });
      expect(r.statusCode, r.body).toBe(200);
    }
    const back = await w.app.inject({
      method: 'POST',
      url: `/api/agency/queue/${tn}/status`,
      headers: op(),
      payload: { status: 'in-progress' },
    });
    expect(back.statusCode).toBe(409);
    await w.app.inject({
      method: 'POST',
      url: `/api/agency/queue/${tn}/messages`,
      headers: op(),
      payload: { text: 'Nous avons corrigé votre index.' },
    });
    const d = (
      await w.app.inject({ method: 'GET', url: `/api/agency/claims/${tn}`, headers: as(cookie) })
    ).json();
    expect(d.status).toBe('resolved');
    expect(d.history.map((h: { status: string }) => h.status)).toEqual([
      'submitted',
      'acknowledged',
      'in-progress',
      'resolved',
    ]);
    expect(d.messages).toEqual([
      expect.objectContaining({ author: 'operator', text: 'Nous avons corrigé votre index.' }),
    ]);
    const out = await w.app.inject({
      method: 'GET',
      url: `/api/outbox?to=${encodeURIComponent(PEOPLE[0]!.mobile)}`,
      headers: op(),
    });
    const updates = (out.json().messages as { template: string; text: string }[]).filter(
      (m) => m.template === 'agency_case_update',
    );
    expect(updates).toHaveLength(3);
    expect(updates.some((m) => m.text.includes(tn) && m.text.includes('résolu'))).toBe(true);
  });

  it('tracks requests the same way (payment facilities: a billing plan request), and marks overdue cases', async () => {
    const bills = await w.app.inject({ method: 'GET', url: '/api/agency/bills', headers: as(cookie) });
    const bill = bills.json().bills[1].number as string;
    const r = await w.app.inject({
      method: 'POST',
      url: '/api/agency/requests',
      headers: as(cookie),
      payload: {
        category: 'payment-facilities',
        subject: 'Échéancier',
        message: 'Je souhaite payer en 3 fois.',
        bill,
        details: { instalments: 3 },
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().trackingNumber).toMatch(/^DM-2026-\d{6}$/);
    const url = `/api/agency/requests/${r.json().trackingNumber}`;
    const request = (await w.app.inject({ method: 'GET', url, headers: as(cookie) })).json();
    expect(request.details).toMatchObject({ instalments: 3, planStatus: 'requested' });
    expect(request.details.planId).toMatch(/^plan-/);
    const mine = (
      await w.app.inject({ method: 'GET', url: '/api/agency/requests', headers: as(cookie) })
    ).json();
    expect(mine.requests).toHaveLength(1);
    expect(
      (
        await w.app.inject({
          method: 'POST',
          url: '/api/agency/requests',
          headers: as(cookie),
          payload: { category: 'bill-contested', subject: 'x', message: 'y' },
        })
      ).statusCode,
    ).toBe(400);
    w.advance(40 * 86_400_000);
    const overdue = (
      await w.app.inject({ method: 'GET', url: '/api/agency/queue?overdue=true', headers: op() })
    ).json().cases;
    expect(overdue.length).toBeGreaterThan(0);
    expect(
      overdue.every((c: { overdue: boolean; status: string }) => c.overdue && c.status !== 'resolved'),
    ).toBe(true);
    expect(overdue.map((c: { trackingNumber: string }) => c.trackingNumber)).not.toContain(tn);
  });

  it('notification preferences: SMS, e-mail or both and the language, used for the next messages', async () => {
    // The clock moved 40 days on: the 12-hour session is over, sign in again.
    expect(
      (await w.app.inject({ method: 'GET', url: '/api/agency/me', headers: as(cookie) })).statusCode,
    ).toBe(401);
    const login = await w.app.inject({
      method: 'POST',
      url: '/api/agency/login',
      payload: { username: 'client.un', password },
    });
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const get = () => w.app.inject({ method: 'GET', url: '/api/agency/preferences', headers: as(cookie) });
    expect((await get()).json()).toEqual({ channels: 'sms', language: 'fr' });
    const put = await w.app.inject({
      method: 'PUT',
      url: '/api/agency/preferences',
      headers: as(cookie),
      payload: { channels: 'both', language: 'ar' },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect((await get()).json()).toEqual({ channels: 'both', language: 'ar' });
    const open = (
      await w.app.inject({ method: 'GET', url: '/api/agency/requests', headers: as(cookie) })
    ).json().requests[0].trackingNumber as string;
    await w.app.inject({
      method: 'POST',
      url: `/api/agency/queue/${open}/status`,
      headers: op(),
      payload: { status: 'acknowledged' },
    });
    const out = await w.app.inject({
      method: 'GET',
      url: `/api/outbox?to=${encodeURIComponent(PEOPLE[0]!.mobile)}`,
      headers: op(),
    });
    const last = (out.json().messages as { template: string; text: string }[]).find((m) =>
      m.text.includes(open),
    )!;
    expect(last.text).toContain('تم التكفل به');
  });
});
