import type { SqlDatabase, SqlExecutor } from '../../platform/index.js';
import {
  DAY_MS,
  dayOf,
  dayStart,
  foldPoints,
  type DayAccumulator,
  type RegisterPoint,
} from './daily-split.js';
import { upsertDailyRows, type DailyRow } from './rollup-store.js';

/** A register value that has just been stored (one OBIS register of one reading). */
export interface RegisterSample {
  meterId: string;
  obis: string;
  /** epoch ms */
  ts: number;
  value: number;
}

/** Where recomputation reads register history from: the reading store (already holding the batch). */
export interface RegisterSource {
  /** Points with from <= ts < to, sorted by ts. */
  registerPoints(q: { meterId: string; obis: string; from: Date; to: Date }): Promise<RegisterPoint[]>;
  /** Newest point with ts < `ts` ('before') or oldest with ts >= `ts` ('after'). */
  registerNeighbour(q: {
    meterId: string;
    obis: string;
    ts: Date;
    direction: 'before' | 'after';
  }): Promise<RegisterPoint | undefined>;
}

interface Cursor {
  ts: number;
  value: number;
}

const INCREMENT_SQL = `
INSERT INTO daily_consumption AS d (meter_id, obis, day, consumption, quality, first_value, last_value, samples, resets, updated_at)
SELECT m, o, dy, c, 'measured', f, l, s, r, now()
FROM unnest($1::text[], $2::text[], $3::date[], $4::float8[], $5::float8[], $6::float8[], $7::int4[], $8::int4[]) AS t(m, o, dy, c, f, l, s, r)
ON CONFLICT (meter_id, obis, day) DO UPDATE SET
  consumption = CASE WHEN d.quality = 'measured' THEN d.consumption + excluded.consumption ELSE excluded.consumption END,
  first_value = CASE WHEN d.quality = 'measured' THEN coalesce(d.first_value, excluded.first_value) ELSE excluded.first_value END,
  last_value = coalesce(excluded.last_value, d.last_value),
  samples = CASE WHEN d.quality = 'measured' THEN d.samples + excluded.samples ELSE excluded.samples END,
  resets = CASE WHEN d.quality = 'measured' THEN d.resets + excluded.resets ELSE excluded.resets END,
  quality = 'measured', updated_at = now()`;

const CURSOR_SQL = `
INSERT INTO rollup_cursors AS c (meter_id, obis, ts, value)
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[])
ON CONFLICT (meter_id, obis) DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE excluded.ts > c.ts`;

const keyOf = (meterId: string, obis: string): string => `${meterId}\u0000${obis}`;

function rowsOf(meterId: string, obis: string, days: Map<string, DayAccumulator>): DailyRow[] {
  return [...days].map(([day, a]) => ({
    meterId,
    obis,
    day,
    consumption: a.consumption,
    quality: 'measured' as const,
    firstValue: a.firstValue,
    lastValue: a.lastValue,
    samples: a.samples,
    resets: a.resets,
  }));
}

/**
 * Keeps `daily_consumption` right as register samples arrive. Samples newer than the per-register
 * cursor (the live stream) are folded in incrementally; anything at or before it (out-of-order,
 * store-and-forward replay, a redelivered duplicate) recomputes the affected days from the reading
 * store, which makes every path idempotent: applying the same samples twice gives the same rows.
 * Writers of one (meter, obis) are expected to be serialised (one ingest pipeline per meter), which
 * is also what lets the engine remember the cursors it wrote instead of reading them back per batch.
 */
export class RollupEngine {
  private readonly db: SqlDatabase;
  private readonly source: RegisterSource;
  private readonly cursorCache = new Map<string, Cursor>();
  private readonly cursorCacheSize: number;

  constructor(options: {
    db: SqlDatabase;
    source: RegisterSource;
    /** Cursors kept in memory (default 200,000 registers); 0 reads them from SQL every batch. */
    cursorCacheSize?: number;
  }) {
    this.db = options.db;
    this.source = options.source;
    this.cursorCacheSize = options.cursorCacheSize ?? 200_000;
  }

  /**
   * `stored` settles once the samples' readings are in the reading store: only recomputation reads
   * them back, so in-order data is folded in while the raw write is still under way.
   */
  async apply(
    samples: readonly RegisterSample[],
    options: { stored?: Promise<unknown> } = {},
  ): Promise<void> {
    if (samples.length === 0) return;
    const groups = new Map<string, { meterId: string; obis: string; points: Map<number, number> }>();
    for (const s of samples) {
      const key = keyOf(s.meterId, s.obis);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { meterId: s.meterId, obis: s.obis, points: new Map() }));
      g.points.set(s.ts, s.value); // same (meter, ts) twice: the last write wins, as in the store
    }
    const list = [...groups.values()];
    const cursors = await this.cursors(list);

    const increments: DailyRow[] = [];
    const replacements: Array<{ meterId: string; obis: string; from: string; to: string; rows: DailyRow[] }> =
      [];
    const newCursors: RegisterSample[] = [];
    for (const g of list) {
      const points = [...g.points].map(([ts, value]) => ({ ts, value })).sort((a, b) => a.ts - b.ts);
      const cursor = cursors.get(keyOf(g.meterId, g.obis));
      const last = points[points.length - 1]!;
      if (!cursor || points[0]!.ts > cursor.ts) {
        increments.push(...rowsOf(g.meterId, g.obis, foldPoints(points, cursor)));
      } else {
        await options.stored;
        replacements.push(await this.recompute(g.meterId, g.obis, points[0]!.ts, last.ts));
      }
      if (!cursor || last.ts > cursor.ts) newCursors.push({ meterId: g.meterId, obis: g.obis, ...last });
    }

    try {
      await this.write(increments, replacements, newCursors);
    } catch (err) {
      // Whether the cursors moved is unknown now: forget them, the next batch reads them back.
      for (const g of list) this.cursorCache.delete(keyOf(g.meterId, g.obis));
      throw err;
    }
    if (this.cursorCacheSize > 0) {
      if (this.cursorCache.size + newCursors.length > this.cursorCacheSize) this.cursorCache.clear();
      for (const c of newCursors)
        this.cursorCache.set(keyOf(c.meterId, c.obis), { ts: c.ts, value: c.value });
    }
  }

  private async write(
    increments: DailyRow[],
    replacements: Array<{ meterId: string; obis: string; from: string; to: string; rows: DailyRow[] }>,
    newCursors: RegisterSample[],
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.increment(tx, increments);
      for (const r of replacements) {
        await tx.query(
          `DELETE FROM daily_consumption WHERE meter_id = $1 AND obis = $2 AND day BETWEEN $3::date AND $4::date AND quality = 'measured'`,
          [r.meterId, r.obis, r.from, r.to],
        );
        await upsertDailyRows(tx, r.rows);
      }
      if (newCursors.length) {
        await tx.query(CURSOR_SQL, [
          newCursors.map((c) => c.meterId),
          newCursors.map((c) => c.obis),
          newCursors.map((c) => new Date(c.ts)),
          newCursors.map((c) => c.value),
        ]);
      }
    });
  }

  /** Recompute every day touched by samples in [tmin, tmax], from the neighbours on either side. */
  private async recompute(meterId: string, obis: string, tmin: number, tmax: number) {
    const [prev, next] = await Promise.all([
      this.source.registerNeighbour({ meterId, obis, ts: new Date(tmin), direction: 'before' }),
      this.source.registerNeighbour({ meterId, obis, ts: new Date(tmax + 1), direction: 'after' }),
    ]);
    const from = dayOf(prev?.ts ?? tmin);
    const to = dayOf(next?.ts ?? tmax);
    const windowStart = dayStart(from);
    const windowEnd = dayStart(to) + DAY_MS;
    const [before, inside, after] = await Promise.all([
      this.source.registerNeighbour({ meterId, obis, ts: new Date(windowStart), direction: 'before' }),
      this.source.registerPoints({ meterId, obis, from: new Date(windowStart), to: new Date(windowEnd) }),
      this.source.registerNeighbour({ meterId, obis, ts: new Date(windowEnd), direction: 'after' }),
    ]);
    const keep = (day: string) => day >= from && day <= to;
    const days = foldPoints(after ? [...inside, after] : inside, before, keep);
    return { meterId, obis, from, to, rows: rowsOf(meterId, obis, days) };
  }

  private async cursors(groups: Array<{ meterId: string; obis: string }>): Promise<Map<string, Cursor>> {
    const found = new Map<string, Cursor>();
    const misses: Array<{ meterId: string; obis: string }> = [];
    for (const g of groups) {
      const hit = this.cursorCache.get(keyOf(g.meterId, g.obis));
      if (hit) found.set(keyOf(g.meterId, g.obis), hit);
      else misses.push(g);
    }
    if (misses.length === 0) return found;
    const { rows } = await this.db.query<{ meter_id: string; obis: string; ts: Date; value: number }>(
      `SELECT c.meter_id, c.obis, c.ts, c.value FROM rollup_cursors c
       JOIN unnest($1::text[], $2::text[]) AS k(m, o) ON c.meter_id = k.m AND c.obis = k.o`,
      [misses.map((g) => g.meterId), misses.map((g) => g.obis)],
    );
    for (const r of rows) {
      const key = keyOf(r.meter_id, r.obis);
      const cursor = { ts: r.ts.getTime(), value: r.value };
      found.set(key, cursor);
      if (this.cursorCacheSize > 0 && this.cursorCache.size < this.cursorCacheSize)
        this.cursorCache.set(key, cursor);
    }
    return found;
  }

  private async increment(tx: SqlExecutor, rows: DailyRow[]): Promise<void> {
    if (rows.length === 0) return;
    await tx.query(INCREMENT_SQL, [
      rows.map((r) => r.meterId),
      rows.map((r) => r.obis),
      rows.map((r) => r.day),
      rows.map((r) => r.consumption),
      rows.map((r) => r.firstValue ?? null),
      rows.map((r) => r.lastValue ?? null),
      rows.map((r) => r.samples ?? 0),
      rows.map((r) => r.resets ?? 0),
    ]);
  }
}
