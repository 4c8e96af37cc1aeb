import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../../token-engine/index.js';
import type { SqlDatabase } from '../../platform/index.js';
import { ledgerBooks } from '../vending/books.js';
import { closeVendingBed, openVendingBed, mobileAgentWithFloat } from '../vending/test-fixtures/bed.js';
import type { World } from '../vending/test-fixtures/world.js';
import { OfflineVendingDevice } from './device.js';
import type { OfflineAllowance, SyncOutcome } from './offline.js';

/**
 * Offline sales priced by the tariff blocks, as the centre prices online. The example tariff:
 * block 1 up to 100 kWh at 0.901, block 2 up to 150 kWh at 1.0732, fixed 5 a month, tax 18 %.
 */
let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let clock = new Date('2026-11-23T08:00:00Z');
const later = (): Date => (clock = new Date(clock.getTime() + 5 * 60_000));

const post = (url: string, key: string, payload?: object) =>
  app.inject({ method: 'POST', url, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });
const quote = async (meterId: string, amount: number) =>
  (await post('/api/quote', world.keys.operator, { meterId, amount })).json() as {
    units: number;
    blocks: Array<{ block: number; from: number; units: number }>;
  };
const position = async (id: string) =>
  (
    await db.query<{ units: number; fixed: number }>(
      'SELECT position_units AS units, position_fixed AS fixed FROM meters WHERE id = $1',
      [id],
    )
  ).rows.map((r) => ({ units: Number(r.units), fixed: Number(r.fixed) }))[0];

beforeAll(async () => {
  ({ db, world, app } = await openVendingBed({ meters: 2, social: false, now: () => clock }));
  await mobileAgentWithFloat(db, 'V1', 1000, clock);
}, 60_000);

afterAll(() => closeVendingBed({ db, world, app }));

describe('offline sales priced by the tariff blocks', () => {
  it('prices a sale that crosses a block boundary exactly as the centre, and the centre checks every price', async () => {
    const { vendor, operator } = world.keys;
    // Online this month: 100 MAD on M1 → fixed 5 collected, 88.5 kWh in block 1.
    const online = await post('/api/vend', operator, { meterId: 'M1', amount: 100, requestId: 'on-1' });
    expect(online.json().receipt).toMatchObject({ units: 88.5, fixedCharges: 5 });
    // What the centre would sell for 40 MAD now: the rest of block 1, then block 2.
    const centre = await quote('M1', 40);
    expect(centre.blocks.map((b) => b.block)).toEqual([1, 2]);

    const allowance = (
      await post('/api/vendors/V1/offline-allowances', vendor, {
        requestId: 'round-p',
        deviceId: 'phone-2',
        amount: 200,
        meterIds: ['M1', 'M2'],
      })
    ).json() as OfflineAllowance;
    expect(allowance.meters[0]).toMatchObject({
      meterId: 'M1',
      position: { month: '2026-11', units: 88.5, fixed: 5 },
      tariff: { blocks: [{ upTo: 100, price: 0.901 }, { upTo: 150, price: 1.0732 }, {}, {}, {}, {}] },
    });
    expect(allowance.meters[0]).not.toHaveProperty('unitPrice');

    const device = new OfflineVendingDevice('phone-2');
    device.provision(allowance);
    const crossing = device.sell('M1', 40, later());
    // By hand: 40 MAD → 33.89 before tax; 11.5 kWh × 0.901 = 10.3615, the 23.5285 left buy 21.9 kWh
    // at 1.0732 (whole tenths): 33.4 kWh — not the 37.6 kWh the first block alone would give.
    expect(crossing.units).toBe(33.4);
    expect(crossing.units).toBe(centre.units);
    const next = device.sell('M1', 20, later()); // 16.94 before tax, all in block 2: 15.7 kWh
    expect(next.units).toBe(15.7);
    const fresh = device.sell('M2', 20, later()); // M2's first sale this month pays the fixed 5: 13.2 kWh
    expect(fresh.units).toBe(13.2);
    const meters = [0, 1].map((i) => new MeterDecoder({ meterKey: world.meters[i]!.key }));
    for (const [sale, i] of [
      [crossing, 0],
      [next, 0],
      [fresh, 1],
    ] as const)
      expect(meters[i]!.enter(sale.token, clock)).toMatchObject({ ok: true, units: sale.units });

    const sync = async (vends: object[]) =>
      (
        await post('/api/offline/sync', vendor, {
          allowanceId: allowance.allowanceId,
          deviceId: 'phone-2',
          vends,
        })
      ).json() as { outcomes: SyncOutcome[] };
    // Network cut after the first sale: the centre's running position must resume where it was.
    expect((await sync(device.pending.slice(0, 1))).outcomes.map((o) => o.status)).toEqual(['accepted']);
    const rest = await sync(device.pending);
    expect(rest.outcomes.map((o) => o.status)).toEqual(['duplicate', 'accepted', 'accepted']);
    expect(await position('M1')).toEqual({ units: 88.5 + 33.4 + 15.7, fixed: 5 });
    expect(await position('M2')).toEqual({ units: 13.2, fixed: 5 });
    const booked = await db.query<{ units: number; fixed_charges: number; tax: number; money: number }>(
      `SELECT v.units, v.fixed_charges, v.tax, v.money FROM offline_vends o JOIN vends v ON v.id = o.vend_id
        WHERE o.device_id = 'phone-2' AND o.seq = 3`,
    );
    expect(booked.rows.map((r) => [r.units, r.fixed_charges, r.tax, r.money].map(Number))).toEqual([
      [13.2, 5, 3.05, 20], // tax: 18 % of (5 + 11.90 of energy), rounded up to the centime
    ]);
    // Online after the round: the centre's blocks continue from where the offline sales left M1.
    expect((await quote('M1', 20)).blocks[0]).toMatchObject({ block: 2, from: 137.6 });

    // A device that prices at the first block only (the old rule, or a tampered one): booked,
    // since the meter takes the token, but flagged with the units the centre would have sold.
    const expected = (await quote('M1', 40)).units;
    const mispriced = {
      ...device.sell('M1', 40, later()),
      units: 37.6,
    };
    const out = await sync([mispriced]);
    expect(out.outcomes).toEqual([
      expect.objectContaining({ seq: mispriced.seq, status: 'price-mismatch', expectedUnits: expected }),
    ]);
    const anomalies = await db.query<{ kind: string; detail: { expectedUnits: number } }>(
      `SELECT kind, detail FROM offline_anomalies WHERE device_id = 'phone-2'`,
    );
    expect(anomalies.rows).toEqual([
      expect.objectContaining({
        kind: 'price',
        detail: expect.objectContaining({ expectedUnits: expected }),
      }),
    ]);
    expect(await ledgerBooks(db)).toMatchObject({ balanced: true, duplicateTokens: 0 });
  });
});
