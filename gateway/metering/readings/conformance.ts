import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations, type SqlDatabase } from '../../platform/index.js';
import { ROLLUP_MIGRATIONS, RollupEngine, SqlRollupStore, type RegisterSample } from '../rollups/index.js';
import { READINGS_MIGRATIONS } from './migrations.js';
import type { ReadingStore, StoredReading } from './reading-store.js';

export interface ReadingStoreFixture {
  store: ReadingStore;
  /** The gateway SQL database (rollups, live state) next to the store. */
  db: SqlDatabase;
  dispose(): Promise<void>;
}

const E = '1-0:1.8.0';
const P = '1-0:1.7.0';
/** A billing-period value (IEC 62056-61 §5.7 value group F): 1.8.0 at the end of the last period. */
const B = '1-0:1.8.0*01';

function reading(
  meterId: string,
  iso: string,
  values: Record<string, number>,
  extra: Partial<StoredReading> = {},
) {
  return {
    meterId,
    ts: new Date(iso),
    seq: 1,
    values,
    quality: 'good',
    source: 'simulator',
    historical: false,
    ...extra,
  } satisfies StoredReading;
}

function samples(readings: StoredReading[]): RegisterSample[] {
  return readings.flatMap((r) =>
    r.values[E] === undefined
      ? []
      : [{ meterId: r.meterId, obis: E, ts: r.ts.getTime(), value: r.values[E]! }],
  );
}

/**
 * What every ReadingStore must do (PGlite in the unit tier, PostgreSQL and InfluxDB in the
 * integration tier), including serving as the rollups' register source.
 */
export function describeReadingStore(name: string, open: () => Promise<ReadingStoreFixture>): void {
  describe(`ReadingStore conformance: ${name}`, () => {
    let f: ReadingStoreFixture;
    let rollups: SqlRollupStore;
    let engine: RollupEngine;
    // Each run uses its own meter ids, so a shared server never mixes runs.
    const tag = Math.random().toString(36).slice(2, 8);
    const m = (n: string) => `${n}-${tag}`;

    beforeAll(async () => {
      f = await open();
      await runMigrations(f.db, [...READINGS_MIGRATIONS, ...ROLLUP_MIGRATIONS]);
      await f.store.start();
      rollups = new SqlRollupStore({ db: f.db });
      engine = new RollupEngine({ db: f.db, source: f.store });
    });
    afterAll(async () => {
      await f?.store.stop();
      await f?.dispose();
    });

    it('writes, reads back raw readings in order, and upserts on (meter, ts)', async () => {
      const id = m('raw');
      await f.store.write([
        reading(id, '2026-01-01T00:00:10.000Z', { [E]: 10, [P]: 1.5 }, { seq: 2 }),
        reading(id, '2026-01-01T00:00:00.000Z', { [E]: 9.5, [P]: 1 }, { seq: 1 }),
      ]);
      await f.store.write([reading(id, '2026-01-01T00:00:10.000Z', { [E]: 10.25, [P]: 2 }, { seq: 2 })]);
      expect(await f.store.count({ meterId: id })).toBe(2);
      const rows = await f.store.readings({
        meterId: id,
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2026-01-02T00:00:00Z'),
      });
      expect(rows.map((r) => [r.ts.toISOString(), r.values[E], r.values[P], r.seq])).toEqual([
        ['2026-01-01T00:00:00.000Z', 9.5, 1, 1],
        ['2026-01-01T00:00:10.000Z', 10.25, 2, 2],
      ]);
      const none = await f.store.readings({ meterId: m('nobody'), from: new Date(0), to: new Date() });
      expect(none).toEqual([]);
    });

    it('buckets readings: registers take the newest counter value, others the mean', async () => {
      const id = m('bucket');
      await f.store.write([
        reading(id, '2026-01-01T10:00:00.000Z', { [E]: 1, [P]: 2 }),
        reading(id, '2026-01-01T10:20:00.000Z', { [E]: 2, [P]: 4 }),
        reading(id, '2026-01-01T11:10:00.000Z', { [E]: 3, [P]: 6 }),
      ]);
      const rows = await f.store.readings({
        meterId: id,
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2026-01-02T00:00:00Z'),
        resolution: '1h',
      });
      expect(rows.map((r) => [r.ts.toISOString(), r.values[E], r.values[P], r.count])).toEqual([
        ['2026-01-01T10:00:00.000Z', 2, 3, 2],
        ['2026-01-01T11:00:00.000Z', 3, 6, 1],
      ]);
    });

    it('keeps a billing-period value (`1-0:1.8.0*01`) as its own field, never as the current register', async () => {
      // IEC 62056-61 §5.7: value group F is the billing period; `*01` is the register at the end of
      // the last period (issue 20: the readout used to overwrite 1.8.0 with it).
      const id = m('billing');
      await f.store.write([
        reading(id, '2026-05-31T22:40:00.000Z', { [E]: 1499.5, [B]: 1210.25 }),
        // the period closes at local midnight (23:00 UTC at UTC+1): the stored value jumps to the
        // register at that instant, inside the UTC day's bucket
        reading(id, '2026-05-31T23:10:00.000Z', { [E]: 1500.5, [B]: 1500.25 }),
        reading(id, '2026-06-01T00:10:00.000Z', { [E]: 1502, [B]: 1500.25 }),
      ]);
      const raw = await f.store.readings({
        meterId: id,
        from: new Date('2026-05-31T00:00:00Z'),
        to: new Date('2026-06-02T00:00:00Z'),
      });
      expect(raw.map((r) => [r.ts.toISOString(), r.values])).toEqual([
        ['2026-05-31T22:40:00.000Z', { [E]: 1499.5, [B]: 1210.25 }],
        ['2026-05-31T23:10:00.000Z', { [E]: 1500.5, [B]: 1500.25 }],
        ['2026-06-01T00:10:00.000Z', { [E]: 1502, [B]: 1500.25 }],
      ]);
      // A bucket takes a billing value like a register: the newest, never a mean of two periods.
      const daily = await f.store.readings({
        meterId: id,
        from: new Date('2026-05-31T00:00:00Z'),
        to: new Date('2026-06-02T00:00:00Z'),
        resolution: '1d',
      });
      expect(daily.map((r) => [r.ts.toISOString(), r.values[E], r.values[B], r.count])).toEqual([
        ['2026-05-31T00:00:00.000Z', 1500.5, 1500.25, 2],
        ['2026-06-01T00:00:00.000Z', 1502, 1500.25, 1],
      ]);
      const span = {
        meterId: id,
        from: new Date('2026-05-31T00:00:00Z'),
        to: new Date('2026-06-02T00:00:00Z'),
      };
      expect((await f.store.registerPoints({ ...span, obis: E })).map((p) => p.value)).toEqual([
        1499.5, 1500.5, 1502,
      ]);
      expect((await f.store.registerPoints({ ...span, obis: B })).map((p) => p.value)).toEqual([
        1210.25, 1500.25, 1500.25,
      ]);
    });

    it('finds register points and neighbours for the rollups', async () => {
      const id = m('nb');
      await f.store.write([
        reading(id, '2026-02-01T00:00:00.000Z', { [E]: 1 }),
        reading(id, '2026-02-02T00:00:00.000Z', { [P]: 5 }),
        reading(id, '2026-02-03T00:00:00.000Z', { [E]: 3 }),
      ]);
      const q = { meterId: id, obis: E };
      expect(
        await f.store.registerPoints({
          ...q,
          from: new Date('2026-02-01T00:00:00Z'),
          to: new Date('2026-02-03T00:00:00Z'),
        }),
      ).toEqual([{ ts: Date.parse('2026-02-01T00:00:00Z'), value: 1 }]);
      expect(
        await f.store.registerNeighbour({ ...q, ts: new Date('2026-02-03T00:00:00Z'), direction: 'before' }),
      ).toEqual({
        ts: Date.parse('2026-02-01T00:00:00Z'),
        value: 1,
      });
      expect(
        await f.store.registerNeighbour({ ...q, ts: new Date('2026-02-01T00:00:01Z'), direction: 'after' }),
      ).toEqual({
        ts: Date.parse('2026-02-03T00:00:00Z'),
        value: 3,
      });
      expect(
        await f.store.registerNeighbour({ ...q, ts: new Date('2026-02-01T00:00:00Z'), direction: 'before' }),
      ).toBe(undefined);
    });

    it('rolls up daily consumption across a gap pro rata, flags a reset, and is order-independent', async () => {
      const series = [
        reading('x', '2026-03-01T12:00:00.000Z', { [E]: 100 }),
        reading('x', '2026-03-01T18:00:00.000Z', { [E]: 106 }),
        // two-day gap: 48 kWh over 48 h → 6 / 24 / 18
        reading('x', '2026-03-03T18:00:00.000Z', { [E]: 154 }),
        // meter replaced: register restarts low; the interval books nothing, counting resumes at 2
        reading('x', '2026-03-03T20:00:00.000Z', { [E]: 2 }),
        reading('x', '2026-03-03T22:00:00.000Z', { [E]: 5 }),
      ];
      const expected = [
        { day: '2026-03-01', consumption: 12, quality: 'measured' },
        { day: '2026-03-02', consumption: 24, quality: 'measured' },
        { day: '2026-03-03', consumption: 21, quality: 'measured' },
      ];
      const run = async (meterId: string, batches: StoredReading[][]) => {
        for (const b of batches) {
          const rs = b.map((r) => ({ ...r, meterId }));
          await f.store.write(rs);
          await engine.apply(samples(rs));
        }
        const got = await rollups.dailySeries({ meterId, obis: E, from: '2026-02-28', to: '2026-03-05' });
        return got.map((g) => ({ ...g, consumption: Math.round(g.consumption * 1e9) / 1e9 }));
      };
      // in order, one reading per batch (the incremental path)
      expect(
        await run(
          m('inorder'),
          series.map((r) => [r]),
        ),
      ).toEqual(expected);
      // out of order and replayed twice (the recompute path)
      const shuffled = [series[3]!, series[0]!, series[4]!, series[2]!, series[1]!];
      expect(await run(m('shuffled'), [...shuffled.map((r) => [r]), series, [series[1]!]])).toEqual(expected);
      // historical backfill arriving after later live data
      expect(await run(m('backfill'), [[series[0]!, series[4]!], series.slice(1, 4)])).toEqual(expected);
      const { rows } = await f.db.query<{ resets: number; samples: number }>(
        `SELECT resets, samples FROM daily_consumption WHERE meter_id = $1 AND day = '2026-03-03'`,
        [m('shuffled')],
      );
      expect(rows[0]).toEqual({ resets: 1, samples: 3 });
      expect(await rollups.meterIds()).toEqual(expect.arrayContaining([m('inorder'), m('shuffled')]));
      const months = await rollups.monthlySeries({
        meterId: m('inorder'),
        obis: E,
        from: '2026-01-01',
        to: '2026-12-31',
      });
      expect(months.map((x) => [x.month, Math.round(x.consumption), x.days])).toEqual([['2026-03', 57, 3]]);
    });

    it('keeps analytics rows through upsertDaily and lets measured data replace an estimate', async () => {
      const id = m('est');
      await rollups.upsertDaily([
        { meterId: id, obis: E, day: '2026-04-01', consumption: 7, quality: 'estimated' },
        { meterId: id, obis: E, day: '2026-04-02', consumption: 8, quality: 'customer' },
      ]);
      const rs = [
        reading(id, '2026-04-01T01:00:00.000Z', { [E]: 1 }),
        reading(id, '2026-04-01T05:00:00.000Z', { [E]: 4 }),
      ];
      await f.store.write(rs);
      await engine.apply(samples(rs));
      expect(
        await rollups.dailySeries({ meterId: id, obis: E, from: '2026-04-01', to: '2026-04-02' }),
      ).toEqual([
        { day: '2026-04-01', consumption: 3, quality: 'measured' },
        { day: '2026-04-02', consumption: 8, quality: 'customer' },
      ]);
    });
  });
}
