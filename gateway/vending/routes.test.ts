import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../token-engine/index.js';
import { PgliteDatabase, type SqlDatabase } from '../db/index.js';
import { buildVendingApp } from './test-fixtures/app.js';
import { buildWorld, testPan, type World } from './test-fixtures/world.js';

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let logs = '';
const newVendingKey = randomBytes(32).toString('hex');

const post = (url: string, key: string, payload: unknown) =>
  app.inject({ method: 'POST', url, headers: { 'x-api-key': key }, payload: payload as object });
const get = (url: string, key: string) => app.inject({ url, headers: { 'x-api-key': key } });

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  world = await buildWorld(db, { meters: 3 });
  const stream = new PassThrough();
  stream.on('data', (d) => (logs += String(d)));
  app = await buildVendingApp({ db, service: world.service, logStream: stream });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await world?.service.stop();
  await db?.close();
});

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
    expect(conflict.json().error.code).toBe('MG_ERR_VEND_REQUEST_ID_REUSED');
  });

  it('rejects bad bodies with a clear error and refuses unknown meters', async () => {
    const bad = await post('/api/vend', world.keys.vendor, {
      meterId: 'M2',
      amount: 'ten',
      requestId: 'h-2',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'MG_ERR_HTTP_VALIDATION' });
    expect(bad.json().error.message).toMatch(/amount/);
    const both = await post('/api/vend', world.keys.vendor, { meterId: 'M2', requestId: 'h-3' });
    expect(both.statusCode).toBe(400);
    const unknown = await post('/api/vend', world.keys.vendor, {
      meterId: 'M404',
      amount: 50,
      requestId: 'h-4',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('MG_ERR_VEND_UNKNOWN_METER');
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
});
