import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../platform/index.js';
import { ledgerBooks } from '../vending/books.js';
import { closeVendingBed, openVendingBed } from '../vending/test-fixtures/bed.js';
import type { World } from '../vending/test-fixtures/world.js';

// The window as the configuration gives it (`prepaid.reversalWindowMinutes`, composeDomains).
const WINDOW_MINUTES = 5;
let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let clock = new Date('2026-11-23T11:00:00Z');
const minutes = (n: number): void => {
  clock = new Date(clock.getTime() + n * 60_000);
};
const post = (url: string, key: string, payload: object = {}) =>
  app.inject({ method: 'POST', url, headers: { 'x-api-key': key }, payload });

beforeAll(async () => {
  ({ db, world, app } = await openVendingBed({
    meters: 1,
    now: () => clock,
    service: { reversalWindowMinutes: WINDOW_MINUTES },
  }));
}, 60_000);

afterAll(() => closeVendingBed({ db, world, app }));

describe('reversal window from the configuration', () => {
  it('reverses inside the configured window and refuses after it, naming the window', async () => {
    const { operator } = world.keys;
    const sell = async (requestId: string) =>
      (await post('/api/vend', operator, { meterId: 'M1', amount: 30, requestId })).json() as {
        vendId: string;
      };
    const early = await sell('w-1');
    const late = await sell('w-2');
    minutes(WINDOW_MINUTES - 1);
    expect((await post(`/api/vends/${early.vendId}/reverse`, operator)).json()).toMatchObject({
      kind: 'reversal',
    });
    minutes(2); // 6 minutes after the sale: past a 5-minute window, well inside the default 60
    const refused = await post(`/api/vends/${late.vendId}/reverse`, operator);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'MG_ERR_VEND_REVERSAL_WINDOW' });
    expect(refused.json().message).toMatch(/\b5\b/);
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });
});
