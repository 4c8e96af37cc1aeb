import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import { MeterDecoder, OpenPaygoDecoder, type MeterKey } from '../../../token-engine/index.js';
import { Notifier, SmsTestSink, type SqlDatabase } from '../../platform/index.js';
import { upsertProgramme } from '../ledger/registry.js';
import { ledgerBooks } from '../vending/books.js';
import { TokenDelivery } from '../vending/delivery.js';
import { closeVendingBed, openVendingBed } from '../vending/test-fixtures/bed.js';
import type { World } from '../vending/test-fixtures/world.js';

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let delivery: TokenDelivery;
const topics = new TopicScheme();
// 11:00 UTC = 12:00 in Morocco (UTC+1): inside the counters' opening hours.
let clock = new Date('2026-11-23T11:00:00Z');
const decoders = new Map<string, MeterDecoder>();
const decoder = (i: number): MeterDecoder => {
  const m = world.meters[i]!;
  let d = decoders.get(m.id);
  if (!d) decoders.set(m.id, (d = new MeterDecoder({ meterKey: m.key as MeterKey })));
  return d;
};

const post = (url: string, key: string, payload?: unknown) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'x-api-key': key },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
const get = (url: string, key: string) => app.inject({ url, headers: { 'x-api-key': key } });
const count = async (table: string): Promise<number> =>
  Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n);
const ledgerSize = async (): Promise<string> =>
  (
    await Promise.all(
      ['vends', 'tokens', 'payments', 'recoveries', 'vendor_movements', 'free_basic', 'key_changes'].map(
        count,
      ),
    )
  ).join(',');
/** What the meter reports when a token is typed (the acceptance event delivery listens to). */
const accepted = (meterId: string, token: string) =>
  delivery.onEvent(
    topics.event(meterId),
    JSON.stringify({ v: 1, meter: meterId, ts: clock.toISOString(), kind: 'token.accepted', token }),
  );

beforeAll(async () => {
  delivery = new TokenDelivery({ publisher: { publish: () => {} }, topics });
  ({ db, world, app } = await openVendingBed({ meters: 4, now: () => clock, service: { delivery } }));
}, 60_000);

afterAll(() => closeVendingBed({ db, world, app }));

describe('vendors: float, commission, opening hours, shifts and Z-reports', () => {
  it('sells against the float with commission, refuses a vend beyond it, and cashes up a shift', async () => {
    const { operator, vendor } = world.keys;
    const created = await post('/api/vendors', operator, {
      id: 'V1',
      name: 'Épicerie Atlas',
      kind: 'shop',
      commissionPercent: 2,
      hours: { open: '08:00', close: '20:00' },
    });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ id: 'V1', mode: 'float', balance: 0 });
    const topUp = await post('/api/vendors/V1/top-up', operator, { requestId: 'tu-1', amount: 150 });
    expect(topUp.json()).toMatchObject({ kind: 'top-up', amount: 150, vendor: { balance: 150 } });
    // Same requestId: the same top-up, not a second one.
    expect(
      (await post('/api/vendors/V1/top-up', operator, { requestId: 'tu-1', amount: 150 })).json(),
    ).toMatchObject({ replayed: true, vendor: { balance: 150 } });

    const shift = await post('/api/vendors/V1/shifts', vendor, { openingCash: 20 });
    expect(shift.statusCode).toBe(201);
    const shiftId = shift.json().shiftId as string;
    expect((await post('/api/vendors/V1/shifts', vendor, {})).json()).toMatchObject({
      code: 'MG_ERR_SHIFT_STATE',
    });

    const v1 = await post('/api/vend', vendor, { meterId: 'M2', amount: 100, requestId: 'f-1' });
    expect(v1.statusCode).toBe(200);
    // 100 sold, 2 % commission kept: the float pays 98.
    expect((await get('/api/vendors/V1', vendor)).json()).toMatchObject({
      balance: 52,
      openShiftId: shiftId,
    });

    const before = await ledgerSize();
    const beyond = await post('/api/vend', vendor, { meterId: 'M2', amount: 100, requestId: 'f-2' });
    expect(beyond.statusCode).toBe(422);
    expect(beyond.json()).toMatchObject({ code: 'MG_ERR_VENDOR_FLOAT' });
    expect(beyond.json().message).toMatch(/52/);
    expect(await ledgerSize()).toBe(before);

    clock = new Date('2026-11-23T21:30:00Z'); // 22:30 local: closed
    const closed = await post('/api/vend', vendor, { meterId: 'M2', amount: 10, requestId: 'f-3' });
    expect(closed.json()).toMatchObject({ statusCode: 409, code: 'MG_ERR_VENDOR_CLOSED' });
    clock = new Date('2026-11-23T11:05:00Z');

    // Another vendor sees neither the account nor the shift.
    expect((await get('/api/vendors/V1', world.keys.vendor2)).statusCode).toBe(404);
    expect(
      (await post(`/api/shifts/${shiftId}/close`, world.keys.vendor2, { countedCash: 0 })).statusCode,
    ).toBe(404);

    const close = await post(`/api/shifts/${shiftId}/close`, vendor, { countedCash: 118.5 });
    expect(close.json()).toMatchObject({
      status: 'closed',
      expectedCash: 120,
      countedCash: 118.5,
      variance: -1.5,
    });
    expect((await post(`/api/shifts/${shiftId}/close`, vendor, { countedCash: 1 })).statusCode).toBe(409);

    const csv = await get(`/api/shifts/${shiftId}/z-report.csv`, vendor);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body).toContain('line,vend,1,100,2,-98');
    expect(csv.body).toContain('cash-up,variance,,-1.5');
    const pdf = await get(`/api/shifts/${shiftId}/z-report.pdf`, operator);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const agency = await get('/api/agencies/V1/z-report.csv?day=2026-11-23', operator);
    expect(agency.body).toContain('line,top-up,1,0,0,150');
    expect((await get('/api/agencies/V1/z-report.csv?day=2026-02-31', operator)).statusCode).toBe(400);

    const audit = await db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE action LIKE 'shift.%' OR action LIKE 'vendor.%' ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'vendor.upsert',
      'vendor.top-up',
      'shift.open',
      'shift.close',
    ]);
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });
});

describe('reversal', () => {
  it('reverses a purchase: money back to the float, recovery undone, token cancelled, operator told STS cannot revoke', async () => {
    const { vendor, operator } = world.keys;
    await post('/api/vendors/V1/top-up', operator, { requestId: 'tu-2', amount: 500 });
    const adv = await post('/api/advances', operator, { meterId: 'M1', units: 10, requestId: 'adv-1' });
    expect(adv.statusCode).toBe(200);
    const debtBefore = Number((await db.query(`SELECT debt FROM customers WHERE id = 'C1'`)).rows[0]!.debt);
    const balanceBefore = (await get('/api/vendors/V1', vendor)).json().balance as number;
    const sale = (await post('/api/vend', vendor, { meterId: 'M1', amount: 100, requestId: 'rv-1' })).json();
    expect(sale.receipt.debtRecovered).toBeGreaterThan(0);

    const r = await post(`/api/vends/${sale.vendId}/reverse`, vendor, { reason: 'wrong meter' });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({
      kind: 'reversal',
      receipt: { reversalOf: sale.vendId, refundTo: 'vendor', refund: 100, stsCannotRevoke: true },
    });
    expect(body.receipt.notice).toMatch(/cannot be revoked/);
    expect(Number((await db.query(`SELECT debt FROM customers WHERE id = 'C1'`)).rows[0]!.debt)).toBe(
      debtBefore,
    );
    expect((await get('/api/vendors/V1', vendor)).json().balance).toBe(balanceBefore);
    const tok = await db.query<{ status: string }>('SELECT status FROM tokens WHERE vend_id = $1', [
      sale.vendId,
    ]);
    expect(tok.rows).toEqual([{ status: 'cancelled' }]);
    // Reversing again answers the same reversal.
    const again = (await post(`/api/vends/${sale.vendId}/reverse`, vendor)).json();
    expect(again).toMatchObject({ vendId: body.vendId, replayed: true });

    // STS cannot revoke: the simulated meter still accepts the cancelled token, and the audit log says so.
    expect(decoder(0).enter(sale.token, clock)).toMatchObject({ ok: true, units: sale.receipt.units });
    expect(await accepted('M1', sale.token)).toEqual({ ok: true });
    const audit = await db.query<{ action: string; detail: Record<string, unknown> }>(
      `SELECT action, detail FROM audit_log WHERE action IN ('vend.reverse', 'token.accepted-after-reversal') ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      expect.objectContaining({
        action: 'vend.reverse',
        detail: expect.objectContaining({ stsCannotRevoke: true }),
      }),
      expect.objectContaining({ action: 'token.accepted-after-reversal' }),
    ]);
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });

  it('refuses a reversal after acceptance, outside the window, of a non-purchase, or of another vendor’s sale', async () => {
    const { vendor, vendor2, operator } = world.keys;
    const sale = (await post('/api/vend', vendor, { meterId: 'M2', amount: 50, requestId: 'rv-2' })).json();
    expect(decoder(1).enter(sale.token, clock).ok).toBe(true);
    await accepted('M2', sale.token);
    const old = (await post('/api/vend', vendor, { meterId: 'M2', amount: 20, requestId: 'rv-3' })).json();
    const adv = (
      await post('/api/advances', operator, { meterId: 'M1', units: 1, requestId: 'adv-2' })
    ).json();
    const before = await ledgerSize();
    const late = await post(`/api/vends/${sale.vendId}/reverse`, operator, {});
    expect(late.json()).toMatchObject({ statusCode: 409, code: 'MG_ERR_VEND_REVERSAL_ACCEPTED' });
    expect(late.json().message).toMatch(/avoir/);
    expect((await post(`/api/vends/${sale.vendId}/reverse`, vendor2, {})).statusCode).toBe(404);
    expect((await post(`/api/vends/${adv.vendId}/reverse`, operator, {})).json()).toMatchObject({
      code: 'MG_ERR_VEND_NOT_REVERSIBLE',
    });
    clock = new Date(clock.getTime() + 61 * 60_000);
    expect((await post(`/api/vends/${old.vendId}/reverse`, vendor, {})).json()).toMatchObject({
      code: 'MG_ERR_VEND_REVERSAL_WINDOW',
    });
    expect(await ledgerSize()).toBe(before);

    // After acceptance: the operator's credit note refunds money, the units stay delivered.
    const note = (body: unknown, key = operator) => post(`/api/vends/${sale.vendId}/credit-note`, key, body);
    expect((await note({ requestId: 'cn', reason: 'x' }, vendor)).statusCode).toBe(403);
    const cn = await note({ requestId: 'cn-1', amount: 20, reason: 'meter tripped for a week' });
    expect(cn.json()).toMatchObject({
      kind: 'credit-note',
      receipt: { creditNoteOf: sale.vendId, refund: 20 },
    });
    expect((await note({ requestId: 'cn-2', amount: 30.01, reason: 'more' })).json()).toMatchObject({
      statusCode: 422,
      code: 'MG_ERR_VEND_CREDIT_NOTE',
    });
    expect((await note({ requestId: 'cn-3', reason: 'the rest' })).json().receipt.refund).toBe(30);
    const tokenStatus = await db.query<{ status: string }>('SELECT status FROM tokens WHERE vend_id = $1', [
      sale.vendId,
    ]);
    expect(tokenStatus.rows[0]!.status).toBe('accepted');
    expect((await db.query(`SELECT 1 FROM audit_log WHERE action = 'vend.credit-note'`)).rows.length).toBe(2);
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });
});

describe('reprint', () => {
  it('reprints the same token marked COPIE / DUPLICATA, audited, without creating one; another vendor gets a 404', async () => {
    const { vendor, vendor2 } = world.keys;
    const sale = (await post('/api/vend', vendor, { meterId: 'M2', amount: 30, requestId: 'rp-1' })).json();
    const tokens = await count('tokens');
    const copy = await post(`/api/vends/${sale.vendId}/reprint`, vendor);
    expect(copy.statusCode).toBe(200);
    expect(copy.json()).toMatchObject({
      vendId: sale.vendId,
      token: sale.token,
      duplicate: { mark: 'COPIE / DUPLICATA', copy: 1 },
      tokens: [{ digits: sale.token, grouped: sale.token.match(/.{4}/g).join(' ') }],
    });
    expect((await post(`/api/vends/${sale.vendId}/reprint`, vendor)).json().duplicate.copy).toBe(2);
    const other = await post(`/api/vends/${sale.vendId}/reprint`, vendor2);
    expect(other.json()).toMatchObject({ statusCode: 404, code: 'MG_ERR_VEND_UNKNOWN' });
    expect(await count('tokens')).toBe(tokens);
    const audit = await db.query(
      `SELECT actor FROM audit_log WHERE action = 'vend.reprint' AND subject = $1`,
      [sale.vendId],
    );
    expect(audit.rows.length).toBe(2);
  });
});

describe('free basic electricity', () => {
  it('issues the month’s allowance with the first purchase, once per month, with its own ledger entries', async () => {
    const { vendor, operator } = world.keys;
    await upsertProgramme(db, { id: 'social', name: 'Social programme', fbeUnits: 20 });
    clock = new Date('2026-12-02T10:00:00Z');
    const sale = (await post('/api/vend', vendor, { meterId: 'M3', amount: 50, requestId: 'fbe-1' })).json();
    expect(sale.freeBasic).toMatchObject({ units: 20 });
    expect(decoder(2).enter(sale.token, clock).ok).toBe(true);
    expect(decoder(2).enter(sale.freeBasic.token, clock)).toMatchObject({ ok: true, units: 20 });
    const second = (
      await post('/api/vend', vendor, { meterId: 'M3', amount: 50, requestId: 'fbe-2' })
    ).json();
    expect(second.freeBasic).toBeUndefined();
    const before = await ledgerSize();
    const twice = await post('/api/meters/M3/free-basic', operator);
    expect(twice.json()).toMatchObject({ statusCode: 409, code: 'MG_ERR_FBE_ALREADY_ISSUED' });
    expect((await post('/api/meters/M2/free-basic', operator, {})).json()).toMatchObject({
      code: 'MG_ERR_FBE_NOT_ELIGIBLE',
    });
    expect(await ledgerSize()).toBe(before);

    clock = new Date('2027-01-05T10:00:00Z');
    const onRequest = await post('/api/meters/M3/free-basic', operator, { requestId: 'fbe-jan' });
    expect(onRequest.json()).toMatchObject({
      kind: 'free-basic',
      receipt: { month: '2027-01', units: 20, money: 0 },
    });
    expect(decoder(2).enter(onRequest.json().token, clock).ok).toBe(true);
    expect(
      (await post('/api/meters/M3/free-basic', operator, { requestId: 'fbe-jan' })).json().replayed,
    ).toBe(true);
    const report = (await get('/api/reports/free-basic?month=2026-12', operator)).json();
    expect(report).toMatchObject({ month: '2026-12', totals: { count: 1, units: 20 } });
    expect(report.totals.value).toBeGreaterThan(0);
    expect((await ledgerBooks(db)).balanced).toBe(true);
    await upsertProgramme(db, { id: 'social', name: 'Social programme', fbeUnits: 0 });
  });
});

describe('key changes riding on purchases', () => {
  it('issues the key change tokens then credit under the new key, re-issues them until the meter confirms', async () => {
    const { vendor, operator } = world.keys;
    const d = decoder(3);
    const s = await post('/api/meters/M4/key-change', operator, {
      requestId: 'kc-1',
      reason: 'KRN revision',
    });
    expect(s.json()).toMatchObject({ meterId: 'M4', status: 'scheduled', to: { krn: 2, baseDate: 2014 } });
    expect((await post('/api/meters/M4/key-change', operator, { requestId: 'kc-1' })).json().replayed).toBe(
      true,
    );
    const before = await ledgerSize();
    expect((await post('/api/meters/M4/key-change', operator, { requestId: 'kc-2' })).json()).toMatchObject({
      statusCode: 409,
      code: 'MG_ERR_KEY_CHANGE_UNCONFIRMED',
    });
    expect(await ledgerSize()).toBe(before);

    const first = (await post('/api/vend', vendor, { meterId: 'M4', amount: 40, requestId: 'kc-v1' })).json();
    expect(first.tokens.map((t: { tokenClass: number }) => t.tokenClass)).toEqual([2, 2, 2, 2, 0]);
    expect(first.receipt.keyChange).toMatchObject({ reissued: false, to: { krn: 2 } });
    // The customer did not type them: the next purchase re-issues the same key change tokens.
    const retry = (await post('/api/vend', vendor, { meterId: 'M4', amount: 40, requestId: 'kc-v2' })).json();
    expect(retry.tokens.slice(0, 4).map((t: { digits: string }) => t.digits)).toEqual(
      first.tokens.slice(0, 4).map((t: { digits: string }) => t.digits),
    );
    expect(retry.receipt.keyChange.reissued).toBe(true);
    const meter = await get('/api/ledger/meters/M4', operator);
    expect(meter.json().krn).toBe(1); // old key current until confirmed
    for (const t of retry.tokens) expect(d.enter(t.digits, clock).ok).toBe(true);
    expect(d.keyInfo).toMatchObject({ krn: 2 });
    // The meter reports the credit token accepted: that confirms the change.
    expect(await accepted('M4', retry.tokens[4].digits)).toEqual({ ok: true });
    expect((await get('/api/ledger/meters/M4', operator)).json().krn).toBe(2);
    const after = (await post('/api/vend', vendor, { meterId: 'M4', amount: 40, requestId: 'kc-v3' })).json();
    expect(after.tokens.length).toBe(1);
    expect(d.enter(after.token, clock).ok).toBe(true);
    expect((await post('/api/meters/M4/key-change/confirm', operator)).json().code).toBe(
      'MG_ERR_KEY_CHANGE_NONE',
    );

    // A group schedule, confirmed by an operator after the purchase.
    const group = (
      await post('/api/key-changes', operator, { requestId: 'g-1', meterIds: ['M4', 'nope'] })
    ).json();
    expect(group.results).toMatchObject([
      { ok: true },
      { ok: false, error: { code: 'MG_ERR_METER_NOT_FOUND' } },
    ]);
    const carried = (
      await post('/api/vend', vendor, { meterId: 'M4', amount: 40, requestId: 'kc-v4' })
    ).json();
    for (const t of carried.tokens) expect(d.enter(t.digits, clock).ok).toBe(true);
    expect((await post('/api/meters/M4/key-change/confirm', operator)).json()).toMatchObject({
      status: 'confirmed',
      to: { krn: 3 },
    });
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });
});

describe('OpenPAYGO devices beside STS meters', () => {
  it('vends days to an OpenPAYGO device from its counter; reprint and reversal work the same; STS-only operations are refused', async () => {
    const { admin, vendor, operator } = world.keys;
    const key = 'bc41ec9530f6dac86b1a29ab82edc5fb';
    const reg = await post('/api/payg-devices', admin, {
      id: 'SHS1',
      customerId: 'C1',
      tariffId: 'example-electricity-ma',
      key,
      startingCode: 516959010,
      pricePerDay: 3.5,
    });
    expect(reg.statusCode).toBe(201);
    expect(reg.json()).toMatchObject({ id: 'SHS1', tokenScheme: 'openpaygo', openPaygo: { count: 1 } });
    expect(JSON.stringify(reg.json())).not.toContain(key);
    // The device side: the OpenPAYGO decoder a PAYG device runs (counter window, used-token memory).
    const device = new OpenPaygoDecoder({ key, startingCode: 516959010 });
    await post('/api/vendors/V1/top-up', operator, { requestId: 'tu-payg', amount: 200 });

    const sale = (await post('/api/vend', vendor, { meterId: 'SHS1', amount: 36, requestId: 'pg-1' })).json();
    // 36 MAD at 3.50 a day: 10 whole days, 35 MAD charged.
    expect(sale).toMatchObject({ kind: 'purchase', receipt: { scheme: 'openpaygo', days: 10, money: 35 } });
    expect(device.enter(sale.token)).toMatchObject({ ok: true, type: 'ADD_TIME', value: 10 });
    expect(
      (await post('/api/vend', vendor, { meterId: 'SHS1', amount: 36, requestId: 'pg-1' })).json(),
    ).toMatchObject({ token: sale.token, replayed: true });

    const copy = (await post(`/api/vends/${sale.vendId}/reprint`, vendor)).json();
    expect(copy).toMatchObject({ token: sale.token, duplicate: { mark: 'COPIE / DUPLICATA' } });

    const second = (
      await post('/api/vend', vendor, { meterId: 'SHS1', amount: 14, requestId: 'pg-2' })
    ).json();
    const rev = await post(`/api/vends/${second.vendId}/reverse`, vendor, {});
    expect(rev.json()).toMatchObject({ kind: 'reversal', receipt: { refund: 14, stsCannotRevoke: true } });
    // Like STS, an OpenPAYGO token cannot be revoked: the device still takes it if it is typed.
    expect(device.enter(second.token)).toMatchObject({ ok: true, value: 4 });
    // The counter moved on: the next sale is accepted after the reversed one.
    const third = (
      await post('/api/vend', vendor, { meterId: 'SHS1', amount: 10.5, requestId: 'pg-3' })
    ).json();
    expect(device.enter(third.token)).toMatchObject({ ok: true, value: 3 });
    expect(device.enter(third.token)).toMatchObject({ ok: false, reason: 'AlreadyUsed' });
    expect((await get('/api/ledger/meters/SHS1', operator)).json().openPaygo.count).toBe(third.tokens[0].tid);

    for (const [url, body] of [
      ['/api/advances', { meterId: 'SHS1', units: 2, requestId: 'pg-a' }],
      ['/api/management/tokens', { meterId: 'SHS1', action: 'clear-tamper', requestId: 'pg-m' }],
      ['/api/meters/SHS1/key-change', { requestId: 'pg-k' }],
    ] as const) {
      expect((await post(url, operator, body)).json()).toMatchObject({
        statusCode: 422,
        code: 'MG_ERR_VEND_SCHEME',
      });
    }
    expect(
      (await post('/api/vend', vendor, { meterId: 'SHS1', amount: 3, requestId: 'pg-4' })).json(),
    ).toMatchObject({ code: 'MG_ERR_VEND_AMOUNT_RANGE' });
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });
});

describe('purchase by SMS', () => {
  it('sells on ACHAT <meter> <amount> from the owner’s number, texts the token back once, idempotent by message id', async () => {
    const sink = new SmsTestSink();
    const notifier = new Notifier({ db, channels: [sink] });
    await notifier.start();
    world.service.useSms((m) => notifier.outbox.send(m));
    await db.query(`UPDATE customers SET phone = '+212600000002' WHERE id = 'C2'`);
    const wallet = world.keys.vendor2; // the mobile-wallet channel's key
    const sms = { messageId: 'op-1', from: '+212 600000002', text: 'achat M2 ٥٠' };
    const r = await post('/api/sms/inbound', wallet, sms);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'sold', messageId: 'op-1' });
    const token = r.json().token as string;
    expect(decoder(1).enter(token, clock).ok).toBe(true);
    expect(sink.sent).toEqual([expect.objectContaining({ to: '+212600000002' })]);
    expect(sink.sent[0]!.text).toContain(token.match(/.{4}/g)!.join(' '));
    // The operator redelivers the same message: the same sale, no second SMS.
    expect((await post('/api/sms/inbound', wallet, sms)).json()).toMatchObject({ token, replayed: true });
    expect(sink.sent.length).toBe(1);
    const sales = await db.query(`SELECT 1 FROM vends WHERE request_id = 'sms-op-1'`);
    expect(sales.rows.length).toBe(1);

    const stranger = (
      await post('/api/sms/inbound', wallet, {
        messageId: 'op-2',
        from: '+212699999999',
        text: 'ACHAT M2 50',
      })
    ).json();
    expect(stranger).toMatchObject({ status: 'refused', code: 'MG_ERR_METER_NOT_FOUND' });
    const garbled = (
      await post('/api/sms/inbound', wallet, { messageId: 'op-3', from: '+212600000002', text: 'hello' })
    ).json();
    expect(garbled).toMatchObject({ status: 'refused' });
    expect(garbled.reply).toMatch(/ACHAT/);
    const tooSmall = (
      await post('/api/sms/inbound', wallet, { messageId: 'op-4', from: '+212600000002', text: 'ACHAT M2 1' })
    ).json();
    expect(tooSmall).toMatchObject({ status: 'refused', code: 'MG_ERR_VEND_AMOUNT_RANGE' });
    expect(sink.sent.length).toBe(4);

    // The same purchase through a USSD session, step by step.
    const step = async (text: string) =>
      (await post('/api/ussd/session', wallet, { sessionId: 'u-1', from: '+212600000002', text })).json();
    expect((await step('')).response).toMatch(/^CON .*1\. Acheter/s);
    expect((await step('1')).response).toMatch(/^CON Numéro du compteur/);
    expect((await step('1*M2')).response).toMatch(/^CON Montant/);
    expect((await step('1*M2*٣٠')).response).toMatch(/^CON Acheter 30 MAD pour le compteur M2/);
    const done = await step('1*M2*٣٠*1');
    expect(done).toMatchObject({ status: 'sold' });
    expect(done.response).toMatch(/^END Compteur M2 : .* Jeton : (\d{4} ){4}\d{4}/);
    expect((await step('1*M2*٣٠*1')).status).toBe('sold'); // the gateway retries: same sale
    expect((await db.query(`SELECT 1 FROM vends WHERE request_id = 'sms-ussd-u-1'`)).rows.length).toBe(1);
    expect(sink.sent.length).toBe(5);
    expect((await ledgerBooks(db)).balanced).toBe(true);
  });
});
