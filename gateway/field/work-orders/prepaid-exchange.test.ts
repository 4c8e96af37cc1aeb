import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../../token-engine/index.js';
import type { Principal, SqlDatabase } from '../../platform/index.js';
import {
  customerStatement,
  grantAdvance,
  ledgerBooks,
  meterAdvanceAccount,
  transferCredit,
} from '../../prepaid/index.js';
import { buildWorld, testMeterKey, testPan, type World } from '../../prepaid/vending/test-fixtures/world.js';
import { ROLLUP_MIGRATIONS } from '../../metering/index.js';
import { runMigrations } from '../../platform/index.js';
import { fieldWorld, layOut, type FieldWorld } from '../testing/world.js';

let field: FieldWorld;
let db: SqlDatabase;
let prepaid: World;
let clock = new Date('2026-11-23T11:00:00Z');
const operator: Principal = { id: 'key:op', role: 'operator' };
const later = (minutes: number) => (clock = new Date(clock.getTime() + minutes * 60_000));

// The new meter N1, as its manufacturer delivers it: its own vending key and PAN.
const newKey = testMeterKey(testPan(91));
const newMeterKeys = {
  pan: newKey.pan,
  sgc: newKey.sgc,
  ti: newKey.ti,
  krn: newKey.krn,
  kt: newKey.kt,
  ken: newKey.ken,
  ea: newKey.ea,
  dkga: newKey.dkga,
  baseDate: newKey.baseDate,
  vendingKey: newKey.vendingKey,
};
const exchange = {
  kind: 'exchange',
  meter: 'M1',
  newMeter: 'N1',
  oldFinalIndex: 4210,
  newInitialIndex: 0,
  at: '2026-11-23T10:30:00Z',
  remainingCreditKwh: 12.3,
  newMeterKeys,
};

const post = (url: string, body: unknown) => field.call('POST', url, body);
const count = async (sql: string): Promise<number> =>
  Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0]!.n);
/** Everything an exchange could store, ledger and field alike. */
const stored = async (): Promise<number[]> =>
  Promise.all(
    [
      'vends',
      'tokens',
      'meters',
      'credit_transfers',
      'audit_log',
      'key_vault',
      'field_work_orders',
      'field_meter_exchanges',
    ].map(count),
  );

beforeAll(async () => {
  field = await fieldWorld({
    seed: async (d) => {
      await runMigrations(d, ROLLUP_MIGRATIONS);
    },
    vending: async (d) => {
      prepaid = await buildWorld(d, { meters: 2, social: true, now: () => clock });
      return prepaid.service;
    },
  });
  db = field.db;
  await layOut(field.field, [
    { meter: 'M1', lat: 33.95, lon: -6.87, transformer: 'T-1' },
    { meter: 'M2', lat: 33.951, lon: -6.871, transformer: 'T-1' },
    { meter: 'P-1', lat: 33.952, lon: -6.872, transformer: 'T-1' },
  ]);
}, 60_000);
afterAll(async () => {
  await field.close();
});

describe('prepaid meter exchange: credit and advance move to the new meter', () => {
  const old = new Map<string, MeterDecoder>();
  let purchased = 0;
  let advanceValue = 0;

  it('the old meter holds bought credit and an outstanding advance', async () => {
    const m1 = new MeterDecoder({ meterKey: prepaid.meters[0]!.key });
    old.set('M1', m1);
    const sale = await prepaid.service.vend(operator, { meterId: 'M1', requestId: 'buy-1', amount: 50 });
    purchased = sale.tokens[0]!.units;
    expect(m1.enter(sale.token, clock)).toMatchObject({ ok: true, kind: 'credit' });
    later(5);
    const advance = await grantAdvance(prepaid.service, operator, {
      meterId: 'M1',
      requestId: 'adv-1',
      units: 10,
    });
    advanceValue = (advance.receipt as { value: number }).value;
    expect(advanceValue).toBeGreaterThan(0);
    expect(m1.enter(advance.token, clock)).toMatchObject({ ok: true, units: 10 });
    expect(m1.credit).toBe(purchased + 10);
    expect(await meterAdvanceAccount(db, 'M1')).toBe(advanceValue);
  });

  it('refuses a bad prepaid exchange with a clear 4xx and stores nothing', async () => {
    const before = await stored();
    const { vendingKey: _vk, ...noKey } = newMeterKeys;
    const { remainingCreditKwh: _c, ...noCredit } = exchange;
    const cases: [unknown, number, string, string?][] = [
      [{ ...exchange, remainingCreditKwh: -1 }, 400, 'MG_ERR_HTTP_VALIDATION'],
      [{ ...exchange, remainingCreditKwh: 12.34 }, 400, 'MG_ERR_HTTP_VALIDATION', 'body/remainingCreditKwh'],
      [{ ...exchange, remainingCreditKwh: 5000 }, 422, 'MG_ERR_TRANSFER_CREDIT'],
      [noCredit, 400, 'MG_ERR_HTTP_VALIDATION', 'body/remainingCreditKwh'],
      [{ ...exchange, newMeterKeys: undefined }, 400, 'MG_ERR_HTTP_VALIDATION', 'body/newMeterKeys'],
      // A meter already registered on another contract cannot come in.
      [{ ...exchange, newMeter: 'M2' }, 409, 'MG_ERR_FIELD_METER_INSTALLED_ELSEWHERE'],
      [
        { ...exchange, newMeterKeys: { ...newMeterKeys, pan: prepaid.meters[1]!.key.pan } },
        409,
        'MG_ERR_LEDGER_PAN_TAKEN',
      ],
      [{ ...exchange, newMeterKeys: noKey }, 400, 'MG_ERR_HTTP_VALIDATION', 'body/newMeterKeys'],
      [{ ...exchange, newMeterKeys: { ...newMeterKeys, vendingKey: 'zz' } }, 400, 'MG_ERR_HTTP_VALIDATION'],
      [
        { ...exchange, newMeterKeys: { ...newMeterKeys, pan: `${newKey.pan.slice(0, 17)}0` } },
        400,
        'MG_ERR_HTTP_VALIDATION',
      ],
      // Credit and keys belong to prepaid meters only.
      [{ ...exchange, meter: 'P-1', newMeter: 'N9' }, 400, 'MG_ERR_HTTP_VALIDATION', 'body/newMeterKeys'],
      [{ kind: 'inspection', meter: 'M1', remainingCreditKwh: 1 }, 400, 'MG_ERR_HTTP_VALIDATION'],
      // An exchange not yet done keeps no credit or keys (they come with its completion).
      [
        { kind: 'exchange', meter: 'M1', newMeter: 'N1', newMeterKeys },
        400,
        'MG_ERR_HTTP_VALIDATION',
        'body/newMeterKeys',
      ],
    ];
    for (const [body, status, code, fieldName] of cases) {
      const r = await post('/api/work-orders', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(status);
      expect(r.json().code, JSON.stringify(body)).toBe(code);
      if (fieldName) expect(r.json().details.map((d: { field: string }) => d.field)).toContain(fieldName);
      // Key material is never echoed, whatever was wrong.
      expect(r.body).not.toContain(newKey.vendingKey);
    }
    expect(await stored()).toEqual(before);
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });

  let token = '';
  let workOrderId = '';

  it('issues the remaining credit as a transfer token the new meter accepts, the ledger balanced', async () => {
    later(60);
    const r = await post('/api/work-orders', exchange);
    expect(r.statusCode, r.body).toBe(201);
    const wo = r.json();
    workOrderId = wo.id;
    expect(wo).toMatchObject({ kind: 'exchange', status: 'completed', meter: 'M1', newMeter: 'N1' });
    const moved = wo.details.creditTransfer;
    expect(moved).toMatchObject({
      fromMeterId: 'M1',
      toMeterId: 'N1',
      units: 12.3,
      advance: advanceValue,
      currency: 'MAD',
    });
    expect(moved.grouped).toMatch(/^\d{4} \d{4} \d{4} \d{4} \d{4}$/);
    expect(moved.grouped.replaceAll(' ', '')).toBe(moved.token);
    token = moved.token;
    // Keys are registered, never returned or written into the work order.
    expect(r.body).not.toContain(newKey.vendingKey);
    expect(JSON.stringify(wo.details)).not.toContain('vendingKey');

    // The new meter, under its own key, accepts the token and shows the credit.
    const n1 = new MeterDecoder({ meterKey: newKey });
    expect(n1.enter(token, clock)).toMatchObject({ ok: true, kind: 'credit', units: 12.3 });
    expect(n1.credit).toBe(12.3);
    // …and the old meter's key does not open it.
    expect(old.get('M1')!.enter(token, clock)).toMatchObject({ ok: false });

    const books = await ledgerBooks(db);
    expect(books.balanced).toBe(true);
    expect(books.unitsTransferred).toBe(12.3);
    expect(books.paid).toBe(50);
    // The old meter's advance account is closed; the debt itself is unchanged and now N1's.
    expect(await meterAdvanceAccount(db, 'M1')).toBe(0);
    expect(await meterAdvanceAccount(db, 'N1')).toBe(advanceValue);
    const statement = await customerStatement(db, operator, 'C1');
    expect(statement.balance.debt).toBe(advanceValue);
    expect(statement.balance.advanced - statement.balance.recovered).toBeCloseTo(advanceValue, 2);
    // Audited as a vend operation, without key material.
    const audit = await db.query<{ actor: string; detail: Record<string, unknown> }>(
      `SELECT actor, detail FROM audit_log WHERE action = 'credit-transfer' AND subject = 'N1'`,
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]!.detail).toMatchObject({ fromMeterId: 'M1', units: 12.3, advance: advanceValue });
    expect(JSON.stringify(audit.rows[0])).not.toContain(newKey.vendingKey);
    expect(
      (await db.query<{ customer_id: string }>(`SELECT customer_id FROM meters WHERE id = 'N1'`)).rows[0],
    ).toEqual({ customer_id: 'C1' });
  });

  it('never issues a second token: completing again, retrying or re-posting', async () => {
    const before = await stored();
    const { kind: _k, meter: _m, ...report } = exchange;
    const again = await post(`/api/work-orders/${workOrderId}/complete`, report);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().details.creditTransfer.token).toBe(token);
    // The ledger's own key: the same transfer answered, its token unchanged.
    const replay = await db.transaction((tx) =>
      transferCredit(prepaid.service, tx, operator, {
        fromMeterId: 'M1',
        toMeterId: 'N1',
        remainingCredit: 12.3,
        keys: newMeterKeys,
        requestId: `exchange:${workOrderId}`,
      }),
    );
    expect(replay).toMatchObject({ token, replayed: true });
    // The same report posted as a new work order: N1 is installed, nothing is issued.
    const twice = await post('/api/work-orders', exchange);
    expect(twice.statusCode).toBe(409);
    // Another credit for the same exchange is refused.
    const other = await post(`/api/work-orders/${workOrderId}/complete`, {
      ...report,
      remainingCreditKwh: 20,
    });
    expect(other.statusCode).toBe(409);
    expect(await stored()).toEqual(before);
    expect(await count(`tokens WHERE meter_id = 'N1'`)).toBe(1);
  });

  it('sells nothing more to the meter taken out', async () => {
    const before = await stored();
    await expect(
      prepaid.service.vend(operator, { meterId: 'M1', requestId: 'buy-old', amount: 50 }),
    ).rejects.toMatchObject({ code: 'MG_ERR_METER_REPLACED', params: { meterId: 'M1', newMeterId: 'N1' } });
    await expect(
      grantAdvance(prepaid.service, operator, { meterId: 'M1', requestId: 'adv-old', units: 5 }),
    ).rejects.toMatchObject({ code: 'MG_ERR_METER_REPLACED', statusCode: 409 });
    // A purchase made before the exchange still replays (the same answer, nothing new).
    const replay = await prepaid.service.vend(operator, { meterId: 'M1', requestId: 'buy-1', amount: 50 });
    expect(replay.replayed).toBe(true);
    expect(await stored()).toEqual(before);
  });

  it('recovers the moved advance from a purchase on the new meter', async () => {
    later(10);
    const sale = await prepaid.service.vend(operator, { meterId: 'N1', requestId: 'buy-2', amount: 100 });
    const recovered = (sale.receipt as { debtRecovered: number }).debtRecovered;
    expect(recovered).toBeGreaterThan(0);
    const n1 = new MeterDecoder({ meterKey: newKey });
    expect(n1.enter(token, clock)).toMatchObject({ ok: true });
    expect(n1.enter(sale.token, clock)).toMatchObject({ ok: true, kind: 'credit' });
    const left = Math.round((advanceValue - recovered) * 100) / 100;
    expect(await meterAdvanceAccount(db, 'N1')).toBe(left);
    expect(await meterAdvanceAccount(db, 'M1')).toBe(0);
    expect((await customerStatement(db, operator, 'C1')).balance.debt).toBe(left);
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });
});

describe('prepaid meter exchange in two steps, the old meter empty', () => {
  it('registers the new meter and moves nothing but the account when no credit is left', async () => {
    const open = await post('/api/work-orders', { kind: 'exchange', meter: 'M2', newMeter: 'N2' });
    expect(open.json()).toMatchObject({ status: 'open', newMeter: 'N2' });
    const done = await post(`/api/work-orders/${open.json().id}/complete`, {
      newMeter: 'N2',
      oldFinalIndex: 800,
      newInitialIndex: 0,
      at: '2026-11-23T14:00:00Z',
      remainingCreditKwh: 0,
      newMeterKeys: { ...newMeterKeys, pan: testPan(92), vendingKey: randomBytes(32).toString('hex') },
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().details.creditTransfer).toMatchObject({
      fromMeterId: 'M2',
      toMeterId: 'N2',
      units: 0,
      advance: 0,
      token: null,
      grouped: null,
    });
    expect(await count(`tokens WHERE meter_id = 'N2'`)).toBe(0);
    expect((await ledgerBooks(db)).balanced).toBe(true);
    await expect(
      prepaid.service.vend(operator, { meterId: 'M2', requestId: 'buy-m2', amount: 50 }),
    ).rejects.toMatchObject({ code: 'MG_ERR_METER_REPLACED' });
  });
});

describe('prepaid meter exchange without vending', () => {
  it('refuses to move credit it cannot mint (no key vault), storing nothing', async () => {
    // The ledger and its meters are there, but the gateway runs without a master key.
    const bare = await fieldWorld({
      seed: async (d) => {
        await runMigrations(d, ROLLUP_MIGRATIONS);
        await buildWorld(d, { meters: 1, social: true, now: () => clock });
      },
    });
    try {
      await layOut(bare.field, [{ meter: 'M1', lat: 33.95, lon: -6.87, transformer: 'T-1' }]);
      const r = await bare.call('POST', '/api/work-orders', exchange);
      expect(r.statusCode).toBe(503);
      expect(r.json().code).toBe('MG_ERR_VEND_KEY_UNAVAILABLE');
      const left = await bare.db.query(
        'SELECT 1 FROM field_work_orders UNION ALL SELECT 1 FROM credit_transfers',
      );
      expect(left.rows).toHaveLength(0);
      expect(await bare.field.locations.get('M1')).toMatchObject({ meter: 'M1' });
    } finally {
      await bare.close();
    }
  }, 60_000);
});
