import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../platform/index.js';
import { closeVendingBed, mobileAgentWithFloat, openVendingBed } from '../vending/test-fixtures/bed.js';
import type { World } from '../vending/test-fixtures/world.js';
import type { OfflineAllowanceAnomalies } from './anomalies.js';
import { OfflineVendingDevice } from './device.js';
import type { OfflineAllowance, OfflineVend, SyncOutcome } from './offline.js';

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let clock = new Date('2026-11-23T08:00:00Z');
const later = (): Date => (clock = new Date(clock.getTime() + 5 * 60_000));

const post = (url: string, key: string, payload: object) =>
  app.inject({ method: 'POST', url, headers: { 'x-api-key': key }, payload });
const get = (url: string, key: string) => app.inject({ url, headers: { 'x-api-key': key } });
const anomalies = async (query = '') =>
  (await get(`/api/offline/anomalies${query}`, world.keys.operator)).json() as {
    allowances: OfflineAllowanceAnomalies[];
    truncated: boolean;
  };

beforeAll(async () => {
  ({ db, world, app } = await openVendingBed({ meters: 3, social: false, now: () => clock }));
  await mobileAgentWithFloat(db, 'V1', 1000, clock);
}, 60_000);

afterAll(() => closeVendingBed({ db, world, app }));

async function round(deviceId: string, amount: number): Promise<[OfflineAllowance, OfflineVendingDevice]> {
  const allowance = (
    await post('/api/vendors/V1/offline-allowances', world.keys.vendor, {
      requestId: `round-${deviceId}`,
      deviceId,
      amount,
      meterIds: ['M1', 'M2'],
    })
  ).json() as OfflineAllowance;
  const device = new OfflineVendingDevice(deviceId);
  device.provision(allowance);
  return [allowance, device];
}

const sync = async (a: OfflineAllowance, vends: OfflineVend[]) =>
  (
    await post('/api/offline/sync', world.keys.vendor, {
      allowanceId: a.allowanceId,
      deviceId: a.deviceId,
      vends,
    })
  ).json() as { outcomes: SyncOutcome[] };

describe('GET /api/offline/anomalies', () => {
  it('lists what reconciliation flagged per device allowance, a price mismatch with the units sold and expected', async () => {
    expect(await anomalies()).toEqual({ allowances: [], truncated: false });

    const [tablet, tabletDevice] = await round('tablet-7', 100);
    const good = tabletDevice.sell('M1', 30, later());
    const mispriced = { ...tabletDevice.sell('M2', 20, later()), units: 99.9 };
    const first = await sync(tablet, [good, mispriced]);
    expect(first.outcomes.map((o) => o.status)).toEqual(['accepted', 'price-mismatch']);
    const expectedUnits = first.outcomes[1]!.expectedUnits!;
    expect(expectedUnits).toBeGreaterThan(0);
    const odd = await sync(tablet, [
      { ...good, token: '1'.repeat(20) }, // another token under a reconciled sequence
      { ...good, seq: 40, meterId: 'M3' }, // a meter not given to the device
      { ...good, seq: 41, token: '2'.repeat(20) }, // the TID M1 already has
    ]);
    expect(odd.outcomes.map((o) => o.status)).toEqual(['conflict', 'unknown-meter', 'tid-used']);
    // A resent sale is a duplicate: reported by the sync, not an anomaly.
    expect((await sync(tablet, [good])).outcomes[0]!.status).toBe('duplicate');

    const [phone] = await round('phone-2', 10);
    const rogue = new OfflineVendingDevice('phone-2');
    rogue.provision({ ...phone, amount: 1000 });
    const over = rogue.sell('M1', 25, later());
    expect((await sync(phone, [over])).outcomes[0]!.status).toBe('overspend');

    const all = await anomalies();
    expect(all.truncated).toBe(false);
    expect(all.allowances.map((a) => [a.deviceId, a.allowanceId])).toEqual([
      ['phone-2', phone.allowanceId],
      ['tablet-7', tablet.allowanceId],
    ]);
    expect(all.allowances[1]).toMatchObject({
      vendorId: 'V1',
      amount: 100,
      spent: 50,
      status: 'open',
      anomalies: [
        { seq: 1, kind: 'conflict', meterId: 'M1', vendId: null, money: null, token: '1'.repeat(20) },
        {
          seq: 2,
          kind: 'price-mismatch',
          meterId: 'M2',
          money: 20,
          units: 99.9,
          expectedUnits,
          vendId: first.outcomes[1]!.vendId,
        },
        { seq: 40, kind: 'unknown-meter', meterId: 'M3', vendId: null },
        { seq: 41, kind: 'tid-used', meterId: 'M1', tid: good.tid },
      ],
    });
    expect(all.allowances[0]!.anomalies).toEqual([
      expect.objectContaining({
        seq: 1,
        kind: 'overspend',
        meterId: 'M1',
        money: 25,
        excess: 15,
        covered: true,
      }),
    ]);

    // Narrowed by kind, device or allowance.
    const priced = await anomalies('?kind=price-mismatch');
    expect(priced.allowances.flatMap((a) => a.anomalies.map((n) => n.kind))).toEqual(['price-mismatch']);
    expect((await anomalies('?deviceId=phone-2')).allowances.map((a) => a.deviceId)).toEqual(['phone-2']);
    expect(
      (await anomalies(`?allowanceId=${tablet.allowanceId}`)).allowances[0]!.anomalies.map((n) => n.seq),
    ).toEqual([1, 2, 40, 41]);
    expect((await anomalies('?vendorId=V2')).allowances).toEqual([]);
  });

  it('is for operators and admins, and names a bad filter', async () => {
    expect((await get('/api/offline/anomalies', world.keys.admin)).statusCode).toBe(200);
    expect((await get('/api/offline/anomalies', world.keys.vendor)).statusCode).toBe(403);
    expect((await get('/api/offline/anomalies', world.keys.customer)).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/offline/anomalies' })).statusCode).toBe(401);
    const bad = await get('/api/offline/anomalies?kind=price', world.keys.operator);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'MG_ERR_HTTP_VALIDATION' });
    expect(JSON.stringify(bad.json())).toMatch(/kind/);
    expect((await get('/api/offline/anomalies?deviceId=%27%3B--', world.keys.operator)).statusCode).toBe(400);
    expect((await get('/api/offline/anomalies?limit=5', world.keys.operator)).statusCode).toBe(400);
  });
});
