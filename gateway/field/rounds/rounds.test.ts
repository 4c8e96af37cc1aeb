import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, measuredIndex, migrateBilling } from '../../billing/testing/world.js';
import type { SqlReadingStore } from '../../metering/index.js';
import type { SqlDatabase } from '../../platform/index.js';
import { fieldWorld, layOut, type FieldWorld } from '../testing/world.js';

let world: FieldWorld;
let db: SqlDatabase;
let store: SqlReadingStore;

beforeAll(async () => {
  world = await fieldWorld({
    seed: async (d) => {
      await migrateBilling(d);
      for (let n = 1; n <= 4; n++) await addAccount(d, n);
      // Last month's real index: 1180 on M-1, 2000 on M-2; M-3 never read (no range); M-4 reads remotely.
      await measuredIndex(d, 'M-1', '2026-01-31', 1180);
      await measuredIndex(d, 'M-2', '2026-01-31', 2000);
      await d.query(
        `INSERT INTO meter_last_reading (meter_id, ts, seq, "values", quality, source) VALUES ('M-4', now(), 1, '{}', 'good', 'mqtt')`,
      );
    },
  });
  ({ db, store } = world);
  await layOut(world.field, [
    { meter: 'M-1', lat: 33.95, lon: -6.87, commune: 'Agdal-Riyad', transformer: 'T-1', reading: 'manual' },
    { meter: 'M-2', lat: 33.96, lon: -6.88, commune: 'Agdal-Riyad', transformer: 'T-1', reading: 'manual' },
    { meter: 'M-3', lat: 33.951, lon: -6.871, commune: 'Agdal-Riyad', transformer: 'T-1', reading: 'manual' },
    { meter: 'M-4', lat: 33.952, lon: -6.872, commune: 'Agdal-Riyad', transformer: 'T-1' },
  ]);
});
afterAll(async () => {
  await world.close();
});

const post = (url: string, body: unknown) => world.call('POST', url, body);

describe('reading rounds', () => {
  let round: {
    id: string;
    meters: { meter: string; seq: number; expectedMin: number | null; expectedMax: number | null }[];
  };

  it('creates a round of the area’s hand-read meters in walking order, with expected ranges', async () => {
    const r = await post('/api/reading-rounds', {
      area: 'commune:Agdal-Riyad',
      period: '2026-02',
      reader: 'releveur-07',
    });
    expect(r.statusCode).toBe(201);
    round = r.json();
    expect(round.meters.map((m) => m.meter).sort()).toEqual(['M-1', 'M-2', 'M-3']);
    // Nearest neighbour from the westernmost point: M-2 (−6.88), then M-3 and M-1 close together.
    expect(round.meters.map((m) => m.meter)).toEqual(['M-2', 'M-3', 'M-1']);
    const m1 = round.meters.find((m) => m.meter === 'M-1')!;
    expect(m1.expectedMin).toBe(1180);
    expect(m1.expectedMax).toBeGreaterThan(1180);
    expect(round.meters.find((m) => m.meter === 'M-3')!.expectedMin).toBeNull();
    expect(
      (await post('/api/reading-rounds', { area: 'nowhere:x', period: '2026-02', reader: 'r' })).statusCode,
    ).toBe(400);
    expect(
      (await post('/api/reading-rounds', { area: 'commune:Agdal-Riyad', period: '2026-13', reader: 'r' }))
        .statusCode,
    ).toBe(400);
  });

  it('accepts a plausible index as a real meter-reader reading that billing sees', async () => {
    const ok = await post(`/api/reading-rounds/${round.id}/readings`, {
      meter: 'M-1',
      index: 1391,
      readAt: '2026-02-28T10:15:00Z',
      position: { lat: 33.95001, lon: -6.87002 },
    });
    expect(ok.json()).toEqual({ status: 'accepted' });
    const rows = await store.readings({
      meterId: 'M-1',
      from: new Date('2026-02-28T00:00:00Z'),
      to: new Date('2026-03-01T00:00:00Z'),
    });
    expect(rows).toMatchObject([{ values: { '1-0:1.8.0': 1391 }, quality: 'real' }]);
    const source = await db.query<{ source: string }>(`SELECT source FROM readings WHERE meter_id = 'M-1'`);
    expect(source.rows.map((r) => r.source)).toEqual(['meter-reader']);
    // The daily rollup carries it as a measured register value at the period end: billing's real index.
    const day = await db.query<{ last_value: number; quality: string }>(
      `SELECT last_value, quality FROM daily_consumption WHERE meter_id = 'M-1' AND day = '2026-02-28'`,
    );
    expect(day.rows).toEqual([{ last_value: 1391, quality: 'measured' }]);
    // Synced twice (offline phone): once.
    expect(
      (
        await post(`/api/reading-rounds/${round.id}/readings`, {
          meter: 'M-1',
          index: 1391,
          readAt: '2026-02-28T10:15:00Z',
        })
      ).json(),
    ).toEqual({ status: 'accepted' });
    expect((await db.query(`SELECT 1 FROM field_round_readings WHERE meter_id = 'M-1'`)).rows).toHaveLength(
      1,
    );
    const progress = (await world.call('GET', `/api/reading-rounds/${round.id}`)).json();
    expect(progress.meters.find((m: { meter: string }) => m.meter === 'M-1').read).toBe(true);
    // The reader's phone lists their rounds with the progress.
    const mine = await world.call('GET', '/api/reading-rounds?reader=releveur-07&status=open');
    expect(mine.json()).toEqual({
      rounds: [
        {
          id: round.id,
          area: 'commune:Agdal-Riyad',
          period: '2026-02',
          reader: 'releveur-07',
          status: 'open',
          meters: 3,
          read: 1,
        },
      ],
    });
    expect((await world.call('GET', '/api/reading-rounds?reader=someone-else')).json()).toEqual({
      rounds: [],
    });
    expect((await world.call('GET', '/api/reading-rounds?status=lost')).statusCode).toBe(400);
  });

  it('flags an implausible index, does not store it as a reading, raises a re-read', async () => {
    const r = await post(`/api/reading-rounds/${round.id}/readings`, {
      meter: 'M-2',
      index: 1999,
      readAt: '2026-02-28T10:30:00Z',
      anomaly: 'illegible',
    });
    expect(r.json()).toMatchObject({
      status: 'implausible',
      reason: expect.stringMatching(/below the last known index 2000/),
      workOrder: expect.any(String),
    });
    const jump = await post(`/api/reading-rounds/${round.id}/readings`, {
      meter: 'M-2',
      index: 200000,
      readAt: '2026-02-28T10:31:00Z',
    });
    expect(jump.json().status).toBe('implausible');
    expect((await db.query(`SELECT 1 FROM readings WHERE meter_id = 'M-2'`)).rows).toHaveLength(0);
    expect((await db.query(`SELECT kind FROM field_work_orders WHERE meter_id = 'M-2'`)).rows).toEqual([
      { kind: 're-read' },
      { kind: 're-read' },
    ]);
  });

  it('refuses bad input with a clear 4xx and stores nothing', async () => {
    const at = '2026-02-28T11:00:00Z';
    const cases: [unknown, number, string?][] = [
      [{ meter: 'M-4', index: 10, readAt: at }, 422, 'MG_ERR_FIELD_METER_NOT_IN_ROUND'],
      [{ meter: 'M-3', index: -1, readAt: at }, 400],
      [{ meter: 'M-3', index: '12a', readAt: at }, 400],
      [{ meter: 'M-3', index: '12', readAt: at }, 400],
      [{ meter: 'M-3', index: null, readAt: at }, 400],
      [{ meter: 'M-3', index: 12, readAt: '2026-02-30T10:00:00Z' }, 400],
    ];
    for (const [body, status, code] of cases) {
      const r = await post(`/api/reading-rounds/${round.id}/readings`, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(status);
      if (code) expect(r.json().code).toBe(code);
    }
    expect(
      (await post('/api/reading-rounds/999/readings', { meter: 'M-3', index: 1, readAt: at })).statusCode,
    ).toBe(404);
    expect(
      (await db.query(`SELECT 1 FROM field_round_readings WHERE meter_id IN ('M-3', 'M-4')`)).rows,
    ).toHaveLength(0);
  });

  it('a suspended round takes no index', async () => {
    await post(`/api/reading-rounds/${round.id}/status`, { status: 'suspended' });
    const r = await post(`/api/reading-rounds/${round.id}/readings`, {
      meter: 'M-3',
      index: 5,
      readAt: '2026-02-28T12:00:00Z',
    });
    expect(r.statusCode).toBe(409);
    expect(r.json().code).toBe('MG_ERR_FIELD_ROUND_CLOSED');
  });
});
