/**
 * Agency accounts over HTTP on real PostgreSQL: registration checked against the registry (one
 * generic mismatch message, nothing stored), the password read back from the outbox, the forced
 * change of the temporary password, weak passwords, reused usernames, businesses, and 20 wrong
 * passwords followed by the owner's recovery by SMS.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createContract,
  createPostpaidCustomer,
  EXAMPLE_POSTPAID_ELECTRICITY,
} from '../../gateway/billing/index.js';
import { AGENCY_NOW, agencyWorld, PEOPLE, type AgencyWorld } from './agency-harness.js';

let w: AgencyWorld;
beforeAll(async () => {
  w = await agencyWorld();
}, 120_000);
afterAll(async () => w?.close());

const person = PEOPLE[0]!;
const registration = (over: Record<string, unknown> = {}) => ({
  service: 'electricity',
  username: 'salma.b',
  email: person.email,
  civility: 'Mme',
  lastName: 'Bennani',
  firstName: 'Salma',
  mobile: person.mobile,
  cin: person.cin,
  birthDate: person.birthDate,
  customerNumber: person.customerNumber,
  contractNumber: person.contract,
  captcha: 'bypass',
  ...over,
});
const post = (url: string, payload: unknown, cookie?: string) =>
  w.app.inject({ method: 'POST', url, payload: payload as object, headers: cookie ? { cookie } : {} });
const cookieOf = (r: LightMyRequestResponse) => String(r.headers['set-cookie']).split(';')[0]!;
async function outbox(to: string) {
  const r = await w.app.inject({
    method: 'GET',
    url: `/api/outbox?to=${encodeURIComponent(to)}`,
    headers: { 'x-api-key': w.operatorKey },
  });
  expect(r.statusCode).toBe(200);
  return r.json().messages as { template: string; text: string; channel: string }[];
}
const passwordIn = (text: string) => /(?:provisoire|temporary) ([^\s.]+)/.exec(text)![1]!;
const accounts = async () =>
  (await w.agency.options.db.query<{ n: number }>('SELECT count(*)::int AS n FROM agency_users')).rows[0]!.n;

describe('agency accounts', () => {
  it('refuses a mismatch with one generic message and stores nothing', async () => {
    for (const wrong of [
      { cin: 'ZZ999999' },
      { contractNumber: PEOPLE[1]!.contract },
      { birthDate: '1970-01-01' },
      { customerNumber: '799999' },
      { mobile: '+212699999999' },
    ]) {
      const r = await post('/api/agency/register', registration(wrong));
      expect(r.statusCode).toBe(422);
      expect(r.json().code).toBe('MG_ERR_AGENCY_MISMATCH');
      expect(r.json().message).toMatch(/ne correspondent pas/);
    }
    expect(await accounts()).toBe(0);
    expect(await outbox(person.mobile)).toHaveLength(0);
  });

  it('refuses a wrong CAPTCHA and businesses', async () => {
    expect((await post('/api/agency/register', registration({ captcha: 'nope' }))).json().code).toBe(
      'MG_ERR_AGENCY_BAD_CAPTCHA',
    );
    const biz = await post('/api/agency/register', registration({ customerType: 'business' }));
    expect(biz.statusCode).toBe(422);
    expect(biz.json().message).toMatch(/agence/);
    expect(await accounts()).toBe(0);
  });

  let password = '';
  it('registers, sends the password by SMS only, and refuses a reused username', async () => {
    const r = await post('/api/agency/register', registration());
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ username: 'salma.b', delivery: 'sms', firstBillNextMonth: false });
    expect(r.body).not.toMatch(/provisoire/);
    const sms = await outbox(person.mobile);
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({ channel: 'sms', template: 'agency_password' });
    password = passwordIn(sms[0]!.text);
    expect(password).toHaveLength(12);
    const again = await post(
      '/api/agency/register',
      registration({ username: 'SALMA.B', cin: PEOPLE[1]!.cin }),
    );
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('MG_ERR_AGENCY_USERNAME_TAKEN');
    expect(await accounts()).toBe(1);
  });

  let cookie = '';
  it('forces the change of the temporary password, refusing weak ones', async () => {
    const login = await post('/api/agency/login', { username: 'salma.b', password });
    expect(login.statusCode).toBe(200);
    expect(login.json().mustChangePassword).toBe(true);
    const set = String(login.headers['set-cookie']);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    cookie = cookieOf(login);
    const bills = await w.app.inject({ method: 'GET', url: '/api/agency/me', headers: { cookie } });
    expect(bills.statusCode).toBe(200);
    for (const weak of ['short1A!', 'alllowercaseletters', 'salma.bSecure123', password]) {
      const r = await post('/api/agency/password', { old: password, new: weak }, cookie);
      expect(r.statusCode, weak).toBe(422);
      expect(r.json().code).toBe('MG_ERR_AGENCY_WEAK_PASSWORD');
    }
    const wrongOld = await post('/api/agency/password', { old: 'x', new: 'Tres-Solide-2026' }, cookie);
    expect(wrongOld.statusCode).toBe(403);
    const ok = await post('/api/agency/password', { old: password, new: 'Tres-Solide-2026' }, cookie);
    expect(ok.statusCode).toBe(204);
    const me = await w.app.inject({ method: 'GET', url: '/api/agency/me', headers: { cookie } });
    expect(me.json().mustChangePassword).toBe(false);
  });

  it('refuses a cross-site request and a forged cookie', async () => {
    const r = await w.app.inject({
      method: 'POST',
      url: '/api/agency/password',
      payload: { old: 'Tres-Solide-2026', new: 'Autre-Solide-2027' },
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('MG_ERR_AGENCY_CROSS_SITE');
    const forged = await w.app.inject({
      method: 'GET',
      url: '/api/agency/me',
      headers: { cookie: `${cookie.slice(0, -3)}abc` },
    });
    expect(forged.statusCode).toBe(401);
  });

  it('20 wrong passwords lock the account; the owner recovers by SMS', async () => {
    const codes = new Set<string>();
    // In a row, as fast as possible: after 5 failures each try waits (429, not counted).
    for (let i = 0; i < 20; i++) {
      const r = await post('/api/agency/login', { username: 'salma.b', password: `wrong-${i}` });
      expect(r.statusCode).toBeGreaterThanOrEqual(400);
      expect(r.statusCode).toBeLessThan(500);
      codes.add(r.json().code);
    }
    expect([...codes].sort()).toEqual(['MG_ERR_AGENCY_BAD_LOGIN', 'MG_ERR_AGENCY_SLOW_DOWN']);
    // Someone who waits out each delay: the 20th wrong password locks the account.
    let last = '';
    for (let failures = 5; failures < 20; failures++) {
      w.advance(61_000);
      last = (await post('/api/agency/login', { username: 'salma.b', password: 'guess' })).json().code;
    }
    expect(last).toBe('MG_ERR_AGENCY_LOCKED');
    w.advance(61_000);
    const right = await post('/api/agency/login', { username: 'salma.b', password: 'Tres-Solide-2026' });
    expect(right.statusCode).toBe(423);
    const recover = await post('/api/agency/recover', {
      customerNumber: person.customerNumber,
      cin: person.cin,
      captcha: 'bypass',
    });
    expect(recover.statusCode).toBe(202);
    const sms = (await outbox(person.mobile)).find((m) => m.template === 'agency_reset')!;
    const fresh = passwordIn(sms.text);
    const login = await post('/api/agency/login', { username: 'salma.b', password: fresh });
    expect(login.statusCode).toBe(200);
    expect(login.json().mustChangePassword).toBe(true);
  });

  it('a contract subscribed this month can register; its first bill comes next month', async () => {
    const db = w.agency.options.db;
    await createPostpaidCustomer(db, {
      id: 'agency-new',
      customerNumber: '7000099',
      firstName: 'Nadia',
      lastName: 'Alaoui',
      cin: 'JK99887',
      birthDate: '1990-01-02',
      mobile: '+212661009999',
      language: 'ar',
    });
    await createContract(db, {
      number: 'E-AG-NEW',
      customerId: 'agency-new',
      service: 'electricity',
      meterId: 'M-AG-NEW',
      tariffId: EXAMPLE_POSTPAID_ELECTRICITY.id,
      subscribedAt: AGENCY_NOW.toISOString().slice(0, 10),
    });
    const r = await post(
      '/api/agency/register',
      registration({
        username: 'nadia.a',
        mobile: '0661009999',
        cin: 'jk99887',
        birthDate: '1990-01-02',
        customerNumber: '7000099',
        contractNumber: 'M-AG-NEW',
      }),
    );
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().firstBillNextMonth).toBe(true);
    // The SMS is in the customer's language.
    const sms = await outbox('+212661009999');
    expect(sms[0]!.text).toMatch(/كلمة المرور المؤقتة/);
  });
});
