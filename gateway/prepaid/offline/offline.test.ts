import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../../token-engine/index.js';
import type { SqlDatabase } from '../../platform/index.js';
import { ledgerBooks } from '../vending/books.js';
import { closeVendingBed, openVendingBed, mobileAgentWithFloat } from '../vending/test-fixtures/bed.js';
import type { World } from '../vending/test-fixtures/world.js';
import { OfflineVendingDevice } from './device.js';
import type { OfflineAllowance, OfflineVend, SyncOutcome } from './offline.js';

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let clock = new Date('2026-11-23T08:00:00Z');

const post = (url: string, key: string, payload?: unknown) =>
  app.inject({
    method: 'POST',
    url,
    headers: { 'x-api-key': key },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
const balance = async (): Promise<number> =>
  Number(
    (await db.query<{ balance: number }>(`SELECT balance FROM vendors WHERE id = 'V1'`)).rows[0]!.balance,
  );
const ledgerRows = async (): Promise<number> =>
  Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM vends')).rows[0]!.n);

beforeAll(async () => {
  ({ db, world, app } = await openVendingBed({ meters: 3, social: false, now: () => clock }));
  await mobileAgentWithFloat(db, 'V1', 1000, clock);
}, 60_000);

afterAll(() => closeVendingBed({ db, world, app }));

describe('mobile recharge team selling offline', () => {
  it('sells without network, reconciles every sale exactly once across a cut network, flags what does not fit', async () => {
    const { vendor } = world.keys;
    const prov = await post('/api/vendors/V1/offline-allowances', vendor, {
      requestId: 'round-1',
      deviceId: 'tablet-7',
      amount: 300,
      meterIds: ['M1', 'M2'],
    });
    expect(prov.statusCode).toBe(200);
    const allowance = prov.json() as OfflineAllowance;
    expect(allowance).toMatchObject({ amount: 300, meters: [{ meterId: 'M1' }, { meterId: 'M2' }] });
    expect(await balance()).toBe(700); // the block is taken from the float up front
    // A replayed provisioning hands out no keys again.
    const again = (
      await post('/api/vendors/V1/offline-allowances', vendor, {
        requestId: 'round-1',
        deviceId: 'tablet-7',
        amount: 300,
        meterIds: ['M1', 'M2'],
      })
    ).json();
    expect(again).toMatchObject({ allowanceId: allowance.allowanceId, replayed: true, meters: [] });

    const device = new OfflineVendingDevice('tablet-7');
    device.provision(allowance);
    const sales: OfflineVend[] = [];
    for (let i = 0; i < 6; i++) {
      clock = new Date(clock.getTime() + 5 * 60_000);
      sales.push(device.sell(i % 2 ? 'M2' : 'M1', 40, clock));
    }
    expect(() => device.sell('M1', 100, clock)).toThrow(/exhausted/);
    expect(() => device.sell('M3', 10, clock)).toThrow(/not provisioned/);
    // The meters take the tokens minted on the device.
    const decoders = [0, 1].map((i) => new MeterDecoder({ meterKey: world.meters[i]!.key }));
    for (const s of sales)
      expect(decoders[s.meterId === 'M1' ? 0 : 1]!.enter(s.token, clock)).toMatchObject({ ok: true });

    // Network back for the first three, then cut: the centre booked the next batch but the answer never arrived.
    const sync = async (vends: OfflineVend[]) =>
      post('/api/offline/sync', vendor, { allowanceId: allowance.allowanceId, deviceId: 'tablet-7', vends });
    const first = (await sync(device.pending.slice(0, 3))).json();
    expect(first.outcomes.map((o: SyncOutcome) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
    device.acknowledge(first.outcomes.map((o: SyncOutcome) => o.seq));
    await sync(device.pending.slice(0, 2)); // lost answer
    const rows = await ledgerRows();
    // The device resends everything pending: the two already booked are duplicates, the third is new.
    const resent = (await sync(device.pending)).json();
    expect(resent.outcomes.map((o: SyncOutcome) => o.status)).toEqual(['duplicate', 'duplicate', 'accepted']);
    expect(await ledgerRows()).toBe(rows + 1);
    expect(resent).toMatchObject({ spent: 240, remaining: 60 });
    device.acknowledge(resent.outcomes.map((o: SyncOutcome) => o.seq));
    expect(device.pending).toEqual([]);
    // A whole replay books nothing.
    const replay = (await sync(sales)).json();
    expect(new Set(replay.outcomes.map((o: SyncOutcome) => o.status))).toEqual(new Set(['duplicate']));
    expect(await ledgerRows()).toBe(rows + 1);

    // What does not fit: another token under a known sequence, a meter not assigned, a TID the meter already has.
    const online = await world.service.vend(
      { id: 'key:v', role: 'vendor', vendorId: 'V2' },
      { meterId: 'M1', amount: 20, requestId: 'online-1' },
    );
    const forged = { ...sales[0]!, token: online.token };
    const odd = (
      await sync([
        forged,
        { ...sales[1]!, seq: 50, meterId: 'M3' },
        { ...sales[2]!, seq: 51, tid: online.tokens[0]!.tid!, token: '1'.repeat(20) },
      ])
    ).json();
    expect(odd.outcomes.map((o: SyncOutcome) => o.status)).toEqual(['conflict', 'unknown-meter', 'tid-used']);
    expect(await ledgerRows()).toBe(rows + 2); // only the online sale

    // A device that sells past its allowance (tampered or clock-confused): booked, flagged, charged to the float.
    const rogue = new OfflineVendingDevice('tablet-7');
    rogue.provision({ ...allowance, amount: 10_000 });
    (rogue as unknown as { seq: number }).seq = 100;
    clock = new Date(clock.getTime() + 60 * 60_000);
    const over = rogue.sell('M2', 100, clock);
    const out = (await sync([over])).json();
    expect(out.outcomes[0].status).toBe('overspend');
    expect(out).toMatchObject({ spent: 300, remaining: 0 });
    const anomalies = await db.query<{ kind: string; detail: { excess?: number } }>(
      'SELECT kind, detail FROM offline_anomalies ORDER BY id',
    );
    // The rogue device also priced from the provisioned position, as if M2's three sales had not
    // happened: the centre, pricing from where those sales left the meter, flags the price too.
    expect(anomalies.rows.map((r) => r.kind)).toEqual([
      'conflict',
      'unknown-meter',
      'tid-used',
      'overspend',
      'price',
    ]);
    expect(anomalies.rows[3]!.detail.excess).toBe(40);
    expect(await balance()).toBe(660);

    const closed = (await post(`/api/offline-allowances/${allowance.allowanceId}/close`, vendor)).json();
    expect(closed).toMatchObject({ status: 'closed', released: 0 });
    expect((await post(`/api/offline-allowances/${allowance.allowanceId}/close`, vendor)).statusCode).toBe(
      409,
    );
    expect(
      (
        await post('/api/offline/sync', world.keys.vendor2, {
          allowanceId: allowance.allowanceId,
          deviceId: 'tablet-7',
          vends: [],
        })
      ).statusCode,
    ).toBe(409);
    expect(await ledgerBooks(db)).toMatchObject({ balanced: true, duplicateTokens: 0 });
  });
});
