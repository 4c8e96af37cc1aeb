import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../../token-engine/index.js';
import type { SqlDatabase } from '../../platform/index.js';
import { closeVendingBed, openVendingBed } from './test-fixtures/bed.js';
import { testPan, type World } from './test-fixtures/world.js';

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let logs = '';
const newVendingKey = randomBytes(32).toString('hex');

const post = (url: string, key: string, payload: unknown) =>
  app.inject({ method: 'POST', url, headers: { 'x-api-key': key }, payload: payload as object });
const get = (url: string, key: string) => app.inject({ url, headers: { 'x-api-key': key } });

beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (d) => (logs += String(d)));
  ({ db, world, app } = await openVendingBed({ meters: 3 }, { logStream: stream }));
}, 60_000);

afterAll(() => closeVendingBed({ db, world, app }));

describe('vending HTTP API', () => {
  it('vends over HTTP with a token the meter accepts, and replays on retry', async () => {
    const r = await post('/api/vend', world.keys.vendor, { meterId: 'M2', amount: 100, requestId: 'h-1' });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({
      kind: 'purchase',
      meterId: 'M2',
      vendorId: 'V1',
      receipt: { money: 100, units: 88.5 },
    });
    expect(body.token).toMatch(/^\d{20}$/);
    const d = new MeterDecoder({ meterKey: world.meters[1]!.key });
    expect(d.enter(body.token, new Date())).toMatchObject({ ok: true, units: 88.5 });
    const again = await post('/api/vend', world.keys.vendor, {
      meterId: 'M2',
      amount: 100,
      requestId: 'h-1',
    });
    expect(again.json()).toMatchObject({ token: body.token, replayed: true });
    const conflict = await post('/api/vend', world.keys.vendor, {
      meterId: 'M2',
      amount: 90,
      requestId: 'h-1',
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().code).toBe('MG_ERR_VEND_REQUEST_ID_REUSED');
  });

  it('rejects bad bodies with a clear error and refuses unknown meters', async () => {
    const bad = await post('/api/vend', world.keys.vendor, {
      meterId: 'M2',
      amount: 'ten',
      requestId: 'h-2',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ statusCode: 400, code: 'MG_ERR_HTTP_VALIDATION' });
    expect(bad.json().message).toMatch(/amount/);
    expect(bad.json().details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'body/amount' })]),
    );
    const both = await post('/api/vend', world.keys.vendor, { meterId: 'M2', requestId: 'h-3' });
    expect(both.statusCode).toBe(400);
    const unknown = await post('/api/vend', world.keys.vendor, {
      meterId: 'M404',
      amount: 50,
      requestId: 'h-4',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('MG_ERR_METER_NOT_FOUND');
  });

  it('enforces roles: customers cannot vend, vendors cannot manage or register', async () => {
    expect(
      (await post('/api/vend', world.keys.customer, { meterId: 'M1', amount: 50, requestId: 'h-5' }))
        .statusCode,
    ).toBe(403);
    expect(
      (
        await post('/api/management/tokens', world.keys.vendor, {
          meterId: 'M1',
          requestId: 'h-6',
          action: 'clear-tamper',
        })
      ).statusCode,
    ).toBe(403);
    expect((await post('/api/customers', world.keys.operator, { id: 'CX', name: 'x' })).statusCode).toBe(403);
    expect(
      (
        await post('/api/management/tokens', world.keys.operator, {
          meterId: 'M1',
          requestId: 'h-7',
          action: 'clear-tamper',
        })
      ).statusCode,
    ).toBe(200);
  });

  it('shows a vendor only its own sales and a customer only its own meters and statement', async () => {
    await post('/api/vend', world.keys.vendor2, { meterId: 'M3', amount: 50, requestId: 'h-v2' });
    const mine = (await get('/api/sales', world.keys.vendor)).json().sales as Array<{ vendorId: string }>;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((s) => s.vendorId === 'V1')).toBe(true);
    const sneaky = (await get('/api/sales?vendorId=V2', world.keys.vendor)).json().sales as Array<{
      vendorId: string;
    }>;
    expect(sneaky.every((s) => s.vendorId === 'V1')).toBe(true);
    const all = (await get('/api/sales', world.keys.operator)).json().sales as Array<{ vendorId: string }>;
    expect(new Set(all.map((s) => s.vendorId))).toEqual(new Set(['V1', 'V2']));
    const v2vend = (await get('/api/sales', world.keys.vendor2)).json().sales[0].vendId as string;
    expect((await get(`/api/vends/${v2vend}`, world.keys.vendor)).statusCode).toBe(404);
    expect((await get(`/api/vends/${v2vend}`, world.keys.vendor2)).statusCode).toBe(200);

    expect((await get('/api/ledger/meters/M1', world.keys.customer)).statusCode).toBe(200);
    expect((await get('/api/ledger/meters/M2', world.keys.customer)).statusCode).toBe(404);
    expect((await get('/api/customers/C1/statement', world.keys.customer)).statusCode).toBe(200);
    expect((await get('/api/customers/C2/statement', world.keys.customer)).statusCode).toBe(404);
    expect((await post('/api/quote', world.keys.customer, { meterId: 'M2', amount: 50 })).statusCode).toBe(
      404,
    );
    const q = await post('/api/quote', world.keys.customer, { meterId: 'M1', units: 10 });
    expect(q.statusCode).toBe(200);
    expect(q.json()).toMatchObject({ units: 10, currency: 'MAD' });
  });

  it('grants an advance over HTTP and shows it in the statement', async () => {
    const a = await post('/api/advances', world.keys.operator, {
      meterId: 'M1',
      units: 10,
      requestId: 'h-adv',
    });
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ kind: 'advance', receipt: { units: 10 } });
    const st = (await get('/api/customers/C1/statement', world.keys.operator)).json();
    expect(st.balance.debt).toBeGreaterThan(0);
    expect(st.advances).toHaveLength(1);
  });

  it('registers a meter with its vending key and never returns, logs or echoes key material', async () => {
    const meter = {
      id: 'M-new',
      customerId: 'C1',
      tariffId: 'example-electricity-ma',
      pan: testPan(77),
      sgc: '123456',
      ti: 1,
      krn: 1,
      kt: 2,
      ken: 255,
      ea: '11',
      dkga: '04',
      baseDate: 2014,
      vendingKey: newVendingKey,
    };
    const created = await post('/api/meters', world.keys.admin, meter);
    expect(created.statusCode).toBe(201);
    expect(created.body).not.toContain(newVendingKey);
    // A bad key (wrong length for DKGA02) is refused without echoing it.
    const badKey = 'ab'.repeat(10);
    const bad = await post('/api/meters', world.keys.admin, {
      ...meter,
      id: 'M-bad',
      dkga: '02',
      vendingKey: badKey,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain(badKey);
    const dup = await post('/api/meters', world.keys.admin, meter);
    expect(dup.statusCode).toBe(409);
    expect(dup.body).not.toContain(newVendingKey);
    const v = await post('/api/vend', world.keys.vendor, {
      meterId: 'M-new',
      amount: 50,
      requestId: 'h-new',
    });
    expect(v.statusCode).toBe(200);
    const everything = [
      created.body,
      bad.body,
      dup.body,
      v.body,
      (await get('/api/ledger/meters/M-new', world.keys.admin)).body,
      logs,
    ];
    for (const text of everything) {
      expect(text).not.toContain(newVendingKey);
      expect(text).not.toContain(Buffer.from(newVendingKey, 'hex').toString('base64'));
      for (const m of world.meters) expect(text).not.toContain(m.key.vendingKey);
    }
    expect(logs.length).toBeGreaterThan(0); // the logger really captured the requests above
  });

  it('refuses a second meter with a PAN already registered (409 with its code)', async () => {
    const taken = await post('/api/meters', world.keys.admin, {
      id: 'M-twin',
      customerId: 'C1',
      tariffId: 'example-electricity-ma',
      pan: world.meters[0]!.key.pan,
      sgc: '123456',
      ti: 1,
      krn: 1,
      kt: 2,
      ken: 255,
      ea: '11',
      dkga: '04',
      baseDate: 2014,
      vendingKey: randomBytes(32).toString('hex'),
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({
      statusCode: 409,
      code: 'MG_ERR_LEDGER_PAN_TAKEN',
      message: expect.stringContaining(world.meters[0]!.key.pan),
    });
    expect((await get('/api/ledger/meters/M-twin', world.keys.admin)).statusCode).toBe(404);
  });

  it('scopes requestId idempotency per vendor: two vendors may use the same requestId', async () => {
    const one = await post('/api/vend', world.keys.vendor, {
      meterId: 'M3',
      amount: 60,
      requestId: 'shared-1',
    });
    const two = await post('/api/vend', world.keys.vendor2, {
      meterId: 'M3',
      amount: 70,
      requestId: 'shared-1',
    });
    expect(one.statusCode).toBe(200);
    expect(two.statusCode).toBe(200);
    expect(two.json().replayed).toBeUndefined();
    expect(two.json().token).not.toBe(one.json().token);
    expect(two.json()).toMatchObject({ vendorId: 'V2', receipt: { money: 70 } });
    // Within one vendor the requestId still replays or conflicts.
    const replay = await post('/api/vend', world.keys.vendor2, {
      meterId: 'M3',
      amount: 70,
      requestId: 'shared-1',
    });
    expect(replay.json()).toMatchObject({ replayed: true, token: two.json().token });
    const clash = await post('/api/vend', world.keys.vendor, {
      meterId: 'M3',
      amount: 75,
      requestId: 'shared-1',
    });
    expect(clash.json()).toMatchObject({ statusCode: 409, code: 'MG_ERR_VEND_REQUEST_ID_REUSED' });
  });

  it('takes management token values strictly: no null, no strings, no value the token cannot carry', async () => {
    const issue = (value: unknown, requestId: string) =>
      post('/api/management/tokens', world.keys.operator, {
        meterId: 'M1',
        requestId,
        action: 'set-max-power',
        value,
      });
    for (const [value, id] of [
      [null, 'mp-null'],
      ['5000', 'mp-string'],
      [true, 'mp-bool'],
      [-1, 'mp-neg'],
      [1.5, 'mp-frac'],
      [18_201_625, 'mp-big'],
      [1e308, 'mp-huge'],
      [1e6, 'mp-1e6'],
    ] as const) {
      const r = await issue(value, id);
      expect(r.statusCode, String(value)).toBe(400);
      expect(r.json()).toMatchObject({ code: 'MG_ERR_HTTP_VALIDATION', details: [{ field: 'body/value' }] });
    }
    expect((await issue(1e6, 'mp-1e6')).json().details[0].reason).toMatch(/999924 or 1000024/);
    const ok = await issue(5000, 'mp-ok');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().tokens[0].digits ?? ok.json().token).toMatch(/^\d{20}$/);
  });
});
