import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestStaTables, MeterDecoder, type MeterKey } from '../../../token-engine/index.js';
import type { Principal } from '../../platform/index.js';
import type { SqlDatabase } from '../../platform/index.js';
import { grantAdvance, customerStatement } from '../advances/index.js';
import { changeKeys, issueManagementToken } from '../management/index.js';
import { createCustomer, createMeter } from '../ledger/registry.js';
import { buildWorld, checkBooks, testPan, type World } from './test-fixtures/world.js';

const vendor: Principal = { id: 'key:v1', role: 'vendor', vendorId: 'V1' };
const operator: Principal = { id: 'key:op', role: 'operator' };

/**
 * The ledger behaviour every database backend must show (PGlite in the unit tier, PostgreSQL in
 * the integration tier): receipts, idempotency, TIDs, refusals, blocks, advances and recovery,
 * management and key change tokens accepted by the token engine's meter-side decoder, the
 * append-only audit log, concurrency, and balanced books. `parallel` sizes the concurrency test.
 */
export function describeVendingLedger(
  name: string,
  open: () => Promise<SqlDatabase>,
  dispose?: () => Promise<void>,
  parallel = { identical: 100, vends: 200, meters: 10 },
): void {
  describe(`vending ledger: ${name}`, () => {
    let db: SqlDatabase;
    let world: World;
    let clock = new Date('2026-11-23T10:00:00Z');
    const decoders = new Map<string, MeterDecoder>();
    const decoder = (m: { id: string; key: MeterKey }): MeterDecoder => {
      let d = decoders.get(m.id);
      if (!d) decoders.set(m.id, (d = new MeterDecoder({ meterKey: m.key })));
      return d;
    };

    beforeAll(async () => {
      db = await open();
      world = await buildWorld(db, { meters: 4 + parallel.meters, now: () => clock });
    }, 60_000);
    afterAll(async () => {
      await world?.service.stop();
      await db?.close();
      await dispose?.();
    });

    it('vends for money with a full receipt and a token the meter accepts once', async () => {
      const m = world.meters[1]!; // not social
      const r = await world.service.vend(vendor, { meterId: m.id, amount: 100, requestId: 'r-money-1' });
      expect(r.receipt).toMatchObject({ money: 100, debtRecovered: 0, fixedCharges: 5 });
      const rc = r.receipt as {
        tax: number;
        energy: number;
        rounding: number;
        fixedCharges: number;
        units: number;
        blocks: Array<{ block: number; price: number }>;
      };
      expect(Math.round((rc.tax + rc.energy + rc.rounding + rc.fixedCharges) * 100)).toBe(10000);
      // 100 MAD incl. 18 % VAT → 84.74 net, 5 fixed, 79.74 of energy at 0.901/kWh → 88.5 kWh in block 1.
      expect(rc.units).toBe(88.5);
      expect(rc.blocks).toEqual([expect.objectContaining({ block: 1, price: 0.901, units: 88.5 })]);
      const d = decoder(m);
      const accepted = d.enter(r.token, clock);
      expect(accepted).toMatchObject({ ok: true, kind: 'credit', units: 88.5 });
      expect(d.enter(r.token, clock)).toMatchObject({ ok: false, reason: 'Used' });
    });

    it('is idempotent on requestId and refuses a reused requestId with another payload', async () => {
      const m = world.meters[1]!;
      const a = await world.service.vend(vendor, { meterId: m.id, amount: 50, requestId: 'r-idem' });
      const b = await world.service.vend(vendor, { meterId: m.id, amount: 50, requestId: 'r-idem' });
      expect(b.token).toBe(a.token);
      expect(b.receipt).toEqual(a.receipt);
      expect(b.replayed).toBe(true);
      await expect(
        world.service.vend(vendor, { meterId: m.id, amount: 60, requestId: 'r-idem' }),
      ).rejects.toMatchObject({
        statusCode: 409,
        code: 'MG_ERR_VEND_REQUEST_ID_REUSED',
      });
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM vends WHERE request_id = 'r-idem'`,
      );
      expect(rows[0]!.n).toBe(1);
    });

    it('keeps TIDs strictly increasing within one clock minute', async () => {
      const m = world.meters[2]!;
      const tids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await world.service.vend(vendor, { meterId: m.id, amount: 20, requestId: `r-tid-${i}` });
        tids.push(r.tokens[0]!.tid!);
        expect(decoder(m).enter(r.token, clock)).toMatchObject({ ok: true });
      }
      expect(tids[1]).toBe(tids[0]! + 1);
      expect(tids[2]).toBe(tids[0]! + 2);
    });

    it('refuses unknown meters, amounts out of range, expired keys and rolled-over base dates', async () => {
      await expect(
        world.service.vend(vendor, { meterId: 'nope', amount: 50, requestId: 'r-x1' }),
      ).rejects.toMatchObject({
        statusCode: 404,
        code: 'MG_ERR_METER_NOT_FOUND',
      });
      for (const amount of [1, 999_999]) {
        await expect(
          world.service.vend(vendor, { meterId: 'M2', amount, requestId: `r-x-${amount}` }),
        ).rejects.toMatchObject({
          statusCode: 422,
          code: 'MG_ERR_VEND_AMOUNT_RANGE',
        });
      }
      const vk = randomBytes(32).toString('hex');
      const base = {
        customerId: 'C2',
        tariffId: 'example-electricity-ma',
        pan: testPan(900),
        sgc: '123456',
        ti: 1,
        krn: 1,
        kt: 2,
        ea: '11',
        dkga: '04',
        vendingKey: vk,
      };
      await createMeter(db, world.service.vault, { ...base, id: 'M-expired', ken: 10, baseDate: 2014 });
      await createMeter(db, world.service.vault, {
        ...base,
        id: 'M-1993',
        pan: testPan(905),
        ken: 255,
        baseDate: 1993,
      });
      await expect(
        world.service.vend(vendor, { meterId: 'M-expired', amount: 50, requestId: 'r-x2' }),
      ).rejects.toMatchObject({
        statusCode: 422,
        code: 'MG_ERR_VEND_KEY_EXPIRED',
      });
      await expect(
        world.service.vend(vendor, { meterId: 'M-1993', amount: 50, requestId: 'r-x3' }),
      ).rejects.toMatchObject({
        statusCode: 422,
        code: 'MG_ERR_VEND_TID_ROLLOVER',
      });
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM vends WHERE request_id LIKE 'r-x%'`,
      );
      expect(rows[0]!.n).toBe(0);
    });

    it('vends to an EA07 (STA) DKGA02 meter with STA tables sealed in the vault', async () => {
      const tables = generateTestStaTables('vending-conformance');
      const staRef = await world.service.vault.put(
        db,
        'sta-tables',
        Buffer.from(JSON.stringify(tables)),
        tables.label,
      );
      const vk = randomBytes(8).toString('hex');
      const key: MeterKey = {
        dkga: '02',
        ea: '07',
        vendingKey: vk,
        sgc: '123456',
        ti: 1,
        krn: 1,
        kt: 2,
        ken: 255,
        baseDate: 2014,
        pan: testPan(902),
      };
      await createMeter(db, world.service.vault, {
        id: 'M-sta',
        customerId: 'C2',
        tariffId: 'example-electricity-ma',
        pan: key.pan,
        sgc: key.sgc,
        ti: 1,
        krn: 1,
        kt: 2,
        ken: 255,
        ea: '07',
        dkga: '02',
        baseDate: 2014,
        vendingKey: vk,
        staRef,
      });
      const r = await world.service.vend(vendor, { meterId: 'M-sta', units: 15, requestId: 'r-sta' });
      const d = new MeterDecoder({ meterKey: key, staTables: tables });
      expect(d.enter(r.token, clock)).toMatchObject({ ok: true, kind: 'credit', units: 15 });
      // Without the right tables the meter cannot read it: the tables really took part.
      const wrong = new MeterDecoder({ meterKey: key, staTables: generateTestStaTables('other') });
      expect(wrong.enter(r.token, clock).ok).toBe(false);
    });

    it('moves through monthly blocks, charges the fixed charge once a month, and restarts next month', async () => {
      await createCustomer(db, { id: 'C-blocks', name: 'Blocks', social: false });
      const vk = randomBytes(32).toString('hex');
      await createMeter(db, world.service.vault, {
        id: 'M-blocks',
        customerId: 'C-blocks',
        tariffId: 'example-electricity-ma',
        pan: testPan(901),
        sgc: '123456',
        ti: 1,
        krn: 1,
        kt: 2,
        ken: 255,
        ea: '11',
        dkga: '04',
        baseDate: 2014,
        vendingKey: vk,
      });
      const q = await world.service.quote(vendor, { meterId: 'M-blocks', units: 120 });
      // 100 kWh × 0.901 + 20 kWh × 1.0732 = 111.564 → 111.57 (up to the cent), + 5 fixed, + 18 % VAT 20.99 (up) = 137.56.
      expect(q).toMatchObject({ energy: 111.57, fixedCharges: 5, tax: 20.99, money: 137.56, units: 120 });
      const a = await world.service.vend(vendor, { meterId: 'M-blocks', units: 120, requestId: 'r-b1' });
      expect(a.receipt).toMatchObject({ money: 137.56, units: 120 });
      const b = await world.service.vend(vendor, { meterId: 'M-blocks', units: 10, requestId: 'r-b2' });
      // Position 120: block 2 price, no fixed charge again this month.
      expect(b.receipt).toMatchObject({ fixedCharges: 0, energy: 10.74, units: 10 });
      const saved = clock;
      clock = new Date('2026-12-01T00:05:00Z');
      try {
        const c = await world.service.vend(vendor, { meterId: 'M-blocks', units: 10, requestId: 'r-b3' });
        expect(c.receipt).toMatchObject({ fixedCharges: 5, energy: 9.01 });
      } finally {
        clock = saved;
      }
    });

    it('grants advances to social households only, within limits, and recovers them from purchases', async () => {
      const social = world.meters[0]!;
      const notSocial = world.meters[1]!;
      await expect(
        grantAdvance(world.service, operator, { meterId: notSocial.id, units: 5, requestId: 'a-0' }),
      ).rejects.toMatchObject({
        code: 'MG_ERR_ADVANCE_NOT_ELIGIBLE',
      });
      await expect(
        grantAdvance(world.service, operator, { meterId: social.id, units: 25, requestId: 'a-1' }),
      ).rejects.toMatchObject({
        code: 'MG_ERR_ADVANCE_LIMIT',
      });
      const adv = await grantAdvance(world.service, operator, {
        meterId: social.id,
        units: 20,
        requestId: 'a-2',
      });
      // 20 kWh at the social first block incl. tax: 20 × 0.7 × 1.18 = 16.52.
      expect(adv.receipt).toMatchObject({ units: 20, value: 16.52, debtAfter: 16.52 });
      expect(decoder(social).enter(adv.token, clock)).toMatchObject({ ok: true, units: 20 });
      await grantAdvance(world.service, operator, { meterId: social.id, units: 20, requestId: 'a-3' });
      await grantAdvance(world.service, operator, { meterId: social.id, units: 20, requestId: 'a-3b' });
      // 49.56 outstanding; another 20 would pass the 50 limit.
      await expect(
        grantAdvance(world.service, operator, { meterId: social.id, units: 20, requestId: 'a-4' }),
      ).rejects.toMatchObject({
        code: 'MG_ERR_ADVANCE_LIMIT',
      });
      const p1 = await world.service.vend(vendor, { meterId: social.id, amount: 40, requestId: 'a-p1' });
      expect(p1.receipt).toMatchObject({ debtRecovered: 10 });
      const p2 = await world.service.vend(vendor, { meterId: social.id, amount: 200, requestId: 'a-p2' });
      expect(p2.receipt).toMatchObject({ debtRecovered: 39.56 }); // never more than owed
      const p3 = await world.service.vend(vendor, { meterId: social.id, amount: 40, requestId: 'a-p3' });
      expect(p3.receipt).toMatchObject({ debtRecovered: 0 });
      const st = await customerStatement(db, operator, social.customerId);
      expect(st.balance).toMatchObject({ advanced: 49.56, recovered: 49.56, debt: 0, unitsAdvanced: 60 });
      expect(st.advances).toHaveLength(3);
      expect(st.recoveries.map((r) => r.amount)).toEqual([10, 39.56]);
      await expect(
        customerStatement(db, { id: 'c', role: 'customer', customerId: 'C2' }, social.customerId),
      ).rejects.toMatchObject({ statusCode: 404 });
    });

    it('applies a customer-level recovery policy over the programme default (fixed amount per purchase)', async () => {
      await createCustomer(db, {
        id: 'C-fixed',
        name: 'Fixed recovery',
        social: true,
        programmeId: 'social',
        recovery: { mode: 'fixed', value: 3 },
      });
      const vk = randomBytes(32).toString('hex');
      await createMeter(db, world.service.vault, {
        id: 'M-fixed',
        customerId: 'C-fixed',
        tariffId: 'example-electricity-ma',
        pan: testPan(903),
        sgc: '123456',
        ti: 1,
        krn: 1,
        kt: 2,
        ken: 255,
        ea: '11',
        dkga: '04',
        baseDate: 2014,
        vendingKey: vk,
      });
      await grantAdvance(world.service, operator, { meterId: 'M-fixed', units: 5, requestId: 'f-a' }); // 5 × 0.7 × 1.18 = 4.13
      const p1 = await world.service.vend(vendor, { meterId: 'M-fixed', amount: 50, requestId: 'f-1' });
      expect(p1.receipt).toMatchObject({ debtRecovered: 3 });
      const p2 = await world.service.vend(vendor, { meterId: 'M-fixed', amount: 50, requestId: 'f-2' });
      expect(p2.receipt).toMatchObject({ debtRecovered: 1.13 });
      const st = await customerStatement(db, operator, 'C-fixed');
      expect(st.balance).toMatchObject({ advanced: 4.13, recovered: 4.13, debt: 0 });
      await expect(
        createMeter(db, world.service.vault, {
          id: 'M-water',
          customerId: 'C-fixed',
          tariffId: 'example-electricity-ma',
          supply: 'water',
          pan: testPan(904),
          sgc: '123456',
          ti: 1,
          krn: 1,
          kt: 2,
          ken: 255,
          ea: '11',
          dkga: '04',
          baseDate: 2014,
          vendingKey: vk,
        }),
      ).rejects.toMatchObject({
        statusCode: 400,
        code: 'MG_ERR_HTTP_VALIDATION',
        details: [
          {
            field: 'body/tariffId',
            reason: expect.stringMatching(/is for electricity, the meter measures water/),
          },
        ],
      });
    });

    it('issues management tokens the meter accepts, each audited', async () => {
      const m = world.meters[3]!;
      const d = decoder(m);
      d.setTamper(true);
      const t = await issueManagementToken(world.service, operator, {
        meterId: m.id,
        requestId: 'mg-1',
        action: 'clear-tamper',
      });
      expect(d.enter(t.token, clock)).toMatchObject({ ok: true, kind: 'clearTamper' });
      expect(d.tamper).toBe(false);
      const p = await issueManagementToken(world.service, operator, {
        meterId: m.id,
        requestId: 'mg-2',
        action: 'set-max-power',
        value: 3000,
      });
      expect(d.enter(p.token, clock)).toMatchObject({ ok: true, kind: 'maxPower' });
      expect(d.maxPower).toBe(3000);
      const c = await issueManagementToken(world.service, operator, {
        meterId: m.id,
        requestId: 'mg-3',
        action: 'clear-credit',
      });
      expect(d.enter(c.token, clock)).toMatchObject({ ok: true, kind: 'clearCredit' });
      const { rows } = await db.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE subject = $1 AND action LIKE 'management.%' ORDER BY id`,
        [m.id],
      );
      expect(rows.map((r) => r.action)).toEqual([
        'management.clear-tamper',
        'management.set-max-power',
        'management.clear-credit',
      ]);
    });

    it('changes keys (batch, rollover RO=1 to the next base date) so the meter takes tokens under the new key', async () => {
      const m = world.meters[3]!;
      const d = decoder(m);
      const out = await changeKeys(world.service, operator, {
        requestId: 'kc-1',
        meterIds: [m.id, 'no-such-meter'],
        rollover: true,
      });
      expect(out[1]).toMatchObject({ ok: false, error: { code: 'MG_ERR_METER_NOT_FOUND' } });
      const r = out[0]!.result!;
      expect(r.receipt).toMatchObject({
        from: { krn: 1, baseDate: 2014 },
        to: { krn: 2, baseDate: 2035 },
        rollover: true,
      });
      expect(r.tokens.length).toBe(4); // 128-bit MISTY1 key: four sections
      for (const t of r.tokens) expect(d.enter(t.digits, clock).ok).toBe(true);
      expect(d.keyInfo).toMatchObject({ krn: 2, baseDate: 2035 });
      const again = await changeKeys(world.service, operator, {
        requestId: 'kc-1',
        meterIds: [m.id],
        rollover: true,
      });
      expect(again[0]!.result!.replayed).toBe(true);
      // 2026 is before base 2035: after a rollover to a base date in the future there is no valid TID yet.
      await expect(
        world.service.vend(vendor, { meterId: m.id, amount: 20, requestId: 'kc-v' }),
      ).rejects.toMatchObject({
        code: 'MG_ERR_VEND_TID_ROLLOVER',
      });
      // A plain key change (no rollover) on another meter keeps the base date; new tokens work.
      const m2 = world.meters[2]!;
      const k2 = await changeKeys(world.service, operator, { requestId: 'kc-2', meterIds: [m2.id] });
      for (const t of k2[0]!.result!.tokens) expect(decoder(m2).enter(t.digits, clock).ok).toBe(true);
      const v = await world.service.vend(vendor, { meterId: m2.id, amount: 20, requestId: 'kc-v2' });
      expect(decoder(m2).enter(v.token, clock)).toMatchObject({ ok: true, kind: 'credit' });
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM audit_log WHERE action = 'management.key-change'`,
      );
      expect(rows[0]!.n).toBe(2);
    });

    it('keeps the audit log append-only', async () => {
      const e1 = (await db.query('UPDATE audit_log SET actor = $1', ['x']).catch((e: unknown) => e)) as {
        message?: string;
      };
      expect(e1.message).toMatch(/append-only/);
      const e2 = (await db.query('DELETE FROM audit_log').catch((e: unknown) => e)) as { message?: string };
      expect(e2.message).toMatch(/append-only/);
      const e3 = (await db.query('TRUNCATE audit_log').catch((e: unknown) => e)) as { message?: string };
      expect(e3.message).toMatch(/append-only/);
      const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM audit_log');
      expect(rows[0]!.n).toBeGreaterThan(5);
    });

    it('stores vending keys only sealed', async () => {
      const { rows } = await db.query<{ data: string; iv: string; tag: string }>(
        'SELECT data, iv, tag FROM key_vault',
      );
      const dump = JSON.stringify(rows) + JSON.stringify((await db.query('SELECT * FROM meters')).rows);
      for (const m of world.meters) {
        expect(dump).not.toContain(m.key.vendingKey);
        expect(dump).not.toContain(Buffer.from(m.key.vendingKey, 'hex').toString('base64'));
      }
    });

    it(`answers ${parallel.identical} parallel identical requests with one token`, async () => {
      const m = world.meters[1]!;
      const all = await Promise.all(
        Array.from({ length: parallel.identical }, () =>
          world.service.vend(vendor, { meterId: m.id, amount: 30, requestId: 'r-storm' }),
        ),
      );
      expect(new Set(all.map((r) => r.token)).size).toBe(1);
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*) AS n FROM tokens t JOIN vends v ON v.id = t.vend_id WHERE v.request_id = 'r-storm'`,
      );
      expect(rows[0]!.n).toBe(1);
    }, 120_000);

    it(`keeps TIDs unique and increasing and the books balanced over ${parallel.vends} parallel vends`, async () => {
      const meters = world.meters.slice(4, 4 + parallel.meters);
      const results = await Promise.all(
        Array.from({ length: parallel.vends }, (_, i) =>
          world.service.vend(vendor, {
            meterId: meters[i % meters.length]!.id,
            amount: 10 + (i % 7),
            requestId: `r-par-${i}`,
          }),
        ),
      );
      expect(results).toHaveLength(parallel.vends);
      const { rows } = await db.query<{ meter_id: string; tid: number; created_at: Date; id: number }>(
        `SELECT meter_id, tid, id FROM tokens WHERE tid IS NOT NULL ORDER BY meter_id, id`,
      );
      const byMeter = new Map<string, number[]>();
      for (const r of rows) byMeter.set(r.meter_id, [...(byMeter.get(r.meter_id) ?? []), r.tid]);
      for (const tids of byMeter.values()) {
        for (let i = 1; i < tids.length; i++) expect(tids[i]).toBeGreaterThan(tids[i - 1]!);
      }
      const books = await checkBooks(db);
      expect(books).toMatchObject({ duplicateTokens: 0, balanced: true });
      expect(books.debt).toBeGreaterThanOrEqual(0);
    }, 240_000);
  });
}
