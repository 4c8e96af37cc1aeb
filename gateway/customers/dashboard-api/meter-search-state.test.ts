import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin, PgliteDatabase, type BusMessage, type SqlDatabase } from '../../platform/index.js';
import { buildWorld, type World } from '../../prepaid/vending/test-fixtures/world.js';
import { dashboardApiPlugin } from './index.js';
import { likeContains } from './meter-search.js';

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
const handlers: { filter: string; handler: (m: BusMessage) => unknown }[] = [];
const bus = {
  async subscribe(filter: string, handler: (m: BusMessage) => unknown) {
    handlers.push({ filter, handler });
  },
};
const publishState = async (meter: string, body: Record<string, unknown>) => {
  const topic = `metergate/v1/meters/${meter}/state`;
  for (const h of handlers)
    await h.handler({ topic, payload: Buffer.from(JSON.stringify(body)) } as BusMessage);
};
const get = (url: string, key: string) => app.inject({ url, headers: { 'x-api-key': key } });

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  world = await buildWorld(db, { meters: 2 });
  app = Fastify();
  await app.register(authPlugin, { db, rateLimit: false, keyCacheMs: 0 });
  await app.register(dashboardApiPlugin, { ledger: db, bus });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await world?.service.stop();
  await db?.close();
});

describe('meter search and reported credit', () => {
  it('a vendor finds a meter by part of its number (2 characters at least, wildcards literal)', async () => {
    expect((await get('/api/ledger/meters?search=M', world.keys.vendor)).statusCode).toBe(400);
    const found = await get('/api/ledger/meters?search=m2', world.keys.vendor);
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ meters: [{ id: 'M2' }] });
    expect((await get('/api/ledger/meters?search=_2', world.keys.vendor)).json().meters).toEqual([]);
    expect((await get('/api/ledger/meters?search=m2', world.keys.customer)).statusCode).toBe(403);
    expect(likeContains('a%b_c\\')).toBe('%a\\%b\\_c\\\\%');
  });

  it('the token history carries the credit the prepaid meter last reported (retained state)', async () => {
    expect(handlers.map((h) => h.filter)).toEqual(['metergate/v1/meters/+/state']);
    expect((await get('/api/meters/M1/tokens', world.keys.operator)).json()).not.toHaveProperty('credit');
    await publishState('M1', {
      v: 1,
      meter: 'M1',
      ts: '2026-12-03T10:00:00.000Z',
      online: true,
      credit: 42.5,
      relay: 'connected',
    });
    // An older state arriving late never replaces a newer one.
    await publishState('M1', { v: 1, meter: 'M1', ts: '2026-12-03T09:00:00.000Z', online: true, credit: 99 });
    await publishState('M1', { v: 1, meter: 'M1', credit: 'lots' });
    const body = (await get('/api/meters/M1/tokens', world.keys.customer)).json();
    expect(body).toMatchObject({
      meterId: 'M1',
      credit: 42.5,
      relay: 'connected',
      stateAt: '2026-12-03T10:00:00.000Z',
    });
  });
});
