import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../../token-engine/index.js';
import { authPlugin } from '../../platform/index.js';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { READINGS_MIGRATIONS } from '../../metering/index.js';
import { buildWorld, type World } from '../../prepaid/vending/test-fixtures/world.js';
import { vendingPlugin } from '../../prepaid/index.js';
import { dashboardApiPlugin } from './index.js';

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
const get = (url: string, key: string) => app.inject({ url, headers: { 'x-api-key': key } });

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  world = await buildWorld(db, { meters: 2 });
  await runMigrations(db, READINGS_MIGRATIONS);
  // A postpaid meter: it reports readings, the ledger does not know it.
  await db.query(
    `INSERT INTO meter_last_reading (meter_id, ts, seq, "values", quality, source)
     VALUES ('P1', now(), 1, '{}', 'real', 'modbus-tcp')`,
  );
  app = Fastify();
  await app.register(authPlugin, { db, rateLimit: false, keyCacheMs: 0 });
  await app.register(vendingPlugin, { service: world.service });
  await app.register(dashboardApiPlugin, { ledger: db });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await world?.service.stop();
  await db?.close();
});

describe('dashboard API', () => {
  it('GET /api/session names the role and scope, never the key', async () => {
    const res = await get('/api/session', world.keys.customer);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ role: 'customer', customerId: 'C1' });
    expect(res.body).not.toContain(world.keys.customer.split('_').slice(2).join('_'));
    expect((await get('/api/session', world.keys.vendor)).json()).toMatchObject({
      role: 'vendor',
      vendorId: 'V1',
    });
    expect((await app.inject('/api/session')).statusCode).toBe(401);
    expect((await get('/api/session', 'mgk_0000000000000000_' + 'x'.repeat(43))).statusCode).toBe(401);
  });

  it('GET /api/meters/:id/tokens lists the meter’s tokens, newest first, scoped to the customer', async () => {
    const vend = await app.inject({
      method: 'POST',
      url: '/api/vend',
      headers: { 'x-api-key': world.keys.vendor },
      payload: { meterId: 'M1', amount: 50, requestId: 'dash-1' },
    });
    expect(vend.statusCode).toBe(200);
    const token = vend.json().token as string;
    const res = await get('/api/meters/M1/tokens', world.keys.customer);
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      tokens: Array<{ digits: string; kind: string; units: number; status: string }>;
    };
    expect(body.tokens[0]).toMatchObject({ digits: token, kind: 'purchase', status: expect.any(String) });
    // The listed token is the one the meter accepts.
    const decoded = new MeterDecoder({ meterKey: world.meters[0]!.key }).enter(
      body.tokens[0]!.digits,
      new Date(),
    );
    expect(decoded).toMatchObject({ ok: true, units: body.tokens[0]!.units });
    expect((await get('/api/meters/M2/tokens', world.keys.customer)).statusCode).toBe(404);
    expect((await get('/api/meters/M2/tokens', world.keys.operator)).json().tokens).toEqual([]);
    expect((await get('/api/meters/NOPE/tokens', world.keys.operator)).json().code).toBe(
      'MG_ERR_METER_NOT_FOUND',
    );
    expect((await get('/api/meters/M1/tokens', world.keys.vendor)).statusCode).toBe(403);
    expect((await get('/api/meters/M1/tokens', world.keys.operator)).json().prepaid).toBe(true);
  });

  it('GET /api/meters/:id/tokens says a postpaid meter is postpaid (200, no tokens), not 404', async () => {
    expect((await get('/api/meters/P1/tokens', world.keys.operator)).json()).toEqual({
      meterId: 'P1',
      prepaid: false,
      tokens: [],
    });
    // Not the customer's meter: the same 404 as an unknown one.
    expect((await get('/api/meters/P1/tokens', world.keys.customer)).statusCode).toBe(404);
  });
});
