import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenPaygoDecoder } from '../../../token-engine/index.js';
import type { SqlDatabase } from '../../platform/index.js';
import { ledgerBooks } from '../vending/books.js';
import { closeVendingBed, openVendingBed } from '../vending/test-fixtures/bed.js';
import type { World } from '../vending/test-fixtures/world.js';

// The device of the OpenPAYGO published vectors; the device side is the token engine's decoder.
const KEY = 'bc41ec9530f6dac86b1a29ab82edc5fb';
const STARTING_CODE = 516959010;

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
const clock = new Date('2026-11-23T11:00:00Z');

const post = (url: string, key: string, payload?: object) =>
  app.inject({ method: 'POST', url, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });
const count = async (table: string): Promise<number> =>
  Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);
const ledgerSize = async (): Promise<string> =>
  (await Promise.all(['vends', 'tokens', 'payments', 'vendor_movements', 'audit_log'].map(count))).join(',');
const balance = async (): Promise<number> =>
  Number((await db.query<{ b: number }>(`SELECT balance AS b FROM vendors WHERE id = 'V1'`)).rows[0]!.b);

beforeAll(async () => {
  ({ db, world, app } = await openVendingBed({ meters: 1, now: () => clock }));
  const { admin, operator } = world.keys;
  expect(
    (await post('/api/vendors', operator, { id: 'V1', name: 'Agent solaire', kind: 'mobile' })).statusCode,
  ).toBe(200);
  expect((await post('/api/vendors/V1/top-up', operator, { requestId: 'tu', amount: 200 })).statusCode).toBe(
    200,
  );
  const reg = await post('/api/payg-devices', admin, {
    id: 'SHS9',
    customerId: 'C1',
    tariffId: 'example-electricity-ma',
    key: KEY,
    startingCode: STARTING_CODE,
    pricePerDay: 2.5,
  });
  expect(reg.statusCode).toBe(201);
}, 60_000);

afterAll(() => closeVendingBed({ db, world, app }));

describe('OpenPAYGO commands beside ADD_TIME: SET_TIME, DISABLE_PAYG, COUNTER_SYNC', () => {
  it('sells SET_TIME by the day and DISABLE_PAYG at its price, gives COUNTER_SYNC free; the device decoder takes each; reprint, reversal and the books work as for STS', async () => {
    const { vendor, operator } = world.keys;
    const device = new OpenPaygoDecoder({ key: KEY, startingCode: STARTING_CODE });
    const tokensUrl = '/api/payg-devices/SHS9/tokens';

    const add = (await post('/api/vend', vendor, { meterId: 'SHS9', amount: 25, requestId: 'a-1' })).json();
    expect(add.receipt).toMatchObject({ tokenType: 'ADD_TIME', days: 10, money: 25 });
    expect(device.enter(add.token)).toMatchObject({ ok: true, type: 'ADD_TIME', value: 10 });

    // SET_TIME: priced like ADD_TIME days, a sale against the vendor's float.
    const set = await post(tokensUrl, vendor, { requestId: 's-1', type: 'SET_TIME', days: 30 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({
      kind: 'purchase',
      vendorId: 'V1',
      receipt: { scheme: 'openpaygo', tokenType: 'SET_TIME', days: 30, money: 75 },
      tokens: [{ tokenClass: 0, subclass: 101, units: 30 }],
    });
    expect(device.enter(set.json().token)).toMatchObject({ ok: true, type: 'SET_TIME', value: 30 });
    expect(await balance()).toBe(100);
    // Same requestId, same body: the same token, nothing new.
    expect(
      (await post(tokensUrl, vendor, { requestId: 's-1', type: 'SET_TIME', days: 30 })).json(),
    ).toMatchObject({ token: set.json().token, replayed: true });
    expect(
      (await post(tokensUrl, vendor, { requestId: 's-1', type: 'SET_TIME', days: 31 })).json(),
    ).toMatchObject({ code: 'MG_ERR_VEND_REQUEST_ID_REUSED' });

    // Reprint: the same token marked as a copy, audited.
    const copy = (await post(`/api/vends/${set.json().vendId}/reprint`, vendor)).json();
    expect(copy).toMatchObject({
      token: set.json().token,
      duplicate: { mark: 'COPIE / DUPLICATA', copy: 1 },
    });

    // Reversal: money back to the float, token cancelled in the ledger, still taken by the device.
    const wrong = (await post(tokensUrl, vendor, { requestId: 's-2', type: 'SET_TIME', days: 4 })).json();
    expect(await balance()).toBe(90);
    const rev = (await post(`/api/vends/${wrong.vendId}/reverse`, vendor, {})).json();
    expect(rev).toMatchObject({ kind: 'reversal', receipt: { refund: 10, units: -4, refundTo: 'vendor' } });
    expect(await balance()).toBe(100);
    const status = await db.query<{ status: string }>('SELECT status FROM tokens WHERE digits = $1', [
      wrong.token,
    ]);
    expect(status.rows[0]!.status).toBe('cancelled');
    expect(device.enter(wrong.token)).toMatchObject({ ok: true, type: 'SET_TIME', value: 4 });

    // COUNTER_SYNC grants nothing: free, a management vend, a field agent may issue it.
    const sync = await post(tokensUrl, vendor, { requestId: 'c-1', type: 'COUNTER_SYNC' });
    expect(sync.json()).toMatchObject({
      kind: 'management',
      receipt: { tokenType: 'COUNTER_SYNC', money: 0 },
      tokens: [{ tokenClass: 2, subclass: 103, units: 0 }],
    });
    expect(device.enter(sync.json().token)).toMatchObject({ ok: true, type: 'COUNTER_SYNC' });
    const audited = await db.query(
      `SELECT 1 FROM audit_log WHERE action = 'payg.command' AND detail->>'tokenType' = 'COUNTER_SYNC'`,
    );
    expect(audited.rows.length).toBe(1);
    expect(await balance()).toBe(100);

    // Refusals, each a clear 4xx that changes nothing in the ledger.
    const before = await ledgerSize();
    const refusals: Array<[string, object, number, string]> = [
      [vendor, { requestId: 'd-1', type: 'DISABLE_PAYG' }, 403, 'MG_ERR_AUTH_FORBIDDEN'],
      [vendor, { requestId: 's-0', type: 'SET_TIME', days: 0 }, 403, 'MG_ERR_AUTH_FORBIDDEN'],
      [vendor, { requestId: 'd-2', type: 'DISABLE_PAYG', amount: 150 }, 422, 'MG_ERR_VENDOR_FLOAT'],
      [vendor, { requestId: 's-3', type: 'SET_TIME' }, 400, 'MG_ERR_HTTP_VALIDATION'],
      [vendor, { requestId: 's-4', type: 'SET_TIME', days: 996 }, 400, 'MG_ERR_HTTP_VALIDATION'],
      [vendor, { requestId: 'c-2', type: 'COUNTER_SYNC', days: 3 }, 400, 'MG_ERR_HTTP_VALIDATION'],
      [vendor, { requestId: 'c-3', type: 'COUNTER_SYNC', amount: 3 }, 400, 'MG_ERR_HTTP_VALIDATION'],
      [vendor, { requestId: 'x-1', type: 'ADD_TIME', days: 3 }, 400, 'MG_ERR_HTTP_VALIDATION'],
    ];
    for (const [key, body, statusCode, code] of refusals) {
      const r = await post(tokensUrl, key, body);
      expect({ body, statusCode: r.statusCode, code: r.json().code }).toEqual({ body, statusCode, code });
    }
    const sts = await post('/api/payg-devices/M1/tokens', operator, {
      requestId: 'm-1',
      type: 'COUNTER_SYNC',
    });
    expect(sts.json()).toMatchObject({ statusCode: 422, code: 'MG_ERR_VEND_SCHEME' });
    expect(
      (await post('/api/payg-devices/NOPE/tokens', operator, { requestId: 'n-1', type: 'COUNTER_SYNC' }))
        .statusCode,
    ).toBe(404);
    expect(await ledgerSize()).toBe(before);

    // DISABLE_PAYG: the last instalment, sold by an operator at its price; the device is unlocked.
    const unlock = (
      await post(tokensUrl, operator, { requestId: 'd-3', type: 'DISABLE_PAYG', amount: 150 })
    ).json();
    expect(unlock).toMatchObject({
      kind: 'purchase',
      receipt: { tokenType: 'DISABLE_PAYG', money: 150, units: 0 },
      tokens: [{ tokenClass: 0, subclass: 102 }],
    });
    expect(device.enter(unlock.token)).toMatchObject({ ok: true, type: 'DISABLE_PAYG' });
    // …and a free one (a replaced device, a goodwill gesture) by an operator.
    const free = (await post(tokensUrl, operator, { requestId: 'd-4', type: 'DISABLE_PAYG' })).json();
    expect(free).toMatchObject({ kind: 'management', receipt: { money: 0 } });
    expect(device.enter(free.token)).toMatchObject({ ok: true, type: 'DISABLE_PAYG' });

    // The server's counter is the last token's count; the device followed it.
    const counter = await db.query<{ c: number }>(
      `SELECT (opaygo->>'count')::int AS c FROM meters WHERE id = 'SHS9'`,
    );
    expect(counter.rows[0]!.c).toBe(free.tokens[0].tid);
    expect(device.count).toBe(free.tokens[0].tid);
    const books = await ledgerBooks(db);
    expect(books).toMatchObject({ balanced: true, duplicateTokens: 0, vendorMismatches: 0 });
    // Money: ADD_TIME 25 + SET_TIME 75 + (10 − 10 reversed) + DISABLE_PAYG 150.
    expect(books.paid).toBe(250);
  });
});
