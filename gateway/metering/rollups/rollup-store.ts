import type { SqlDatabase, SqlExecutor } from '../../platform/index.js';

export const ROLLUP_QUALITIES = ['measured', 'estimated', 'customer'] as const;
export type RollupQuality = (typeof ROLLUP_QUALITIES)[number];

/** One row of `daily_consumption` (gateway-contracts.md). `day` is a UTC calendar day YYYY-MM-DD. */
export interface DailyRow {
  meterId: string;
  obis: string;
  day: string;
  consumption: number;
  quality: RollupQuality;
  firstValue?: number | null;
  lastValue?: number | null;
  samples?: number;
  resets?: number;
}

export interface DailyPoint {
  day: string;
  consumption: number;
  quality: RollupQuality;
}

export interface MonthlyPoint {
  /** YYYY-MM */
  month: string;
  consumption: number;
  /** Days that contributed; `estimated` is how many of them were not measured. */
  days: number;
  estimatedDays: number;
}

export interface SeriesQuery {
  meterId: string;
  obis: string;
  /** First and last day, inclusive (YYYY-MM-DD or a Date, taken as its UTC day). */
  from: string | Date;
  to: string | Date;
}

/**
 * The daily rollups as analytics, the consumption API and estimation see them. INGEST writes measured
 * rows through the rollup engine; ANALYTICS writes estimated/customer rows through `upsertDaily`.
 */
export interface RollupStore {
  dailySeries(query: SeriesQuery): Promise<DailyPoint[]>;
  monthlySeries(query: SeriesQuery): Promise<MonthlyPoint[]>;
  /** Insert or replace rows by (meterId, obis, day). Returns how many rows were written. */
  upsertDaily(rows: readonly DailyRow[]): Promise<number>;
  /** Every meter with at least one rollup row, sorted. */
  meterIds(): Promise<string[]>;
}

export function toDay(value: string | Date): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value.slice(0, 10)))) {
    throw new RangeError(`not a calendar day: ${JSON.stringify(value)}`);
  }
  return value.slice(0, 10);
}

const UPSERT_SQL = `
INSERT INTO daily_consumption (meter_id, obis, day, consumption, quality, first_value, last_value, samples, resets, updated_at)
SELECT * , now() FROM unnest($1::text[], $2::text[], $3::date[], $4::float8[], $5::text[], $6::float8[], $7::float8[], $8::int4[], $9::int4[])
ON CONFLICT (meter_id, obis, day) DO UPDATE SET
  consumption = excluded.consumption, quality = excluded.quality, first_value = excluded.first_value,
  last_value = excluded.last_value, samples = excluded.samples, resets = excluded.resets, updated_at = now()`;

/** Multi-row upsert through unnest: one round trip for any number of rows. */
export async function upsertDailyRows(q: SqlExecutor, rows: readonly DailyRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  // One statement may not touch a key twice: the last row for a key wins.
  const byKey = new Map<string, DailyRow>();
  for (const r of rows) byKey.set(`${r.meterId}\u0000${r.obis}\u0000${toDay(r.day)}`, r);
  const list = [...byKey.values()];
  const result = await q.query(UPSERT_SQL, [
    list.map((r) => r.meterId),
    list.map((r) => r.obis),
    list.map((r) => toDay(r.day)),
    list.map((r) => r.consumption),
    list.map((r) => r.quality),
    list.map((r) => r.firstValue ?? null),
    list.map((r) => r.lastValue ?? null),
    list.map((r) => r.samples ?? 0),
    list.map((r) => r.resets ?? 0),
  ]);
  return result.rowCount || list.length;
}

/** The reference (and only) implementation: the gateway's SQL database, PGlite or PostgreSQL. */
export class SqlRollupStore implements RollupStore {
  private readonly db: SqlDatabase;

  constructor(options: { db: SqlDatabase }) {
    this.db = options.db;
  }

  async dailySeries(query: SeriesQuery): Promise<DailyPoint[]> {
    const { rows } = await this.db.query<DailyPoint>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, consumption, quality FROM daily_consumption
       WHERE meter_id = $1 AND obis = $2 AND day BETWEEN $3::date AND $4::date ORDER BY day`,
      [query.meterId, query.obis, toDay(query.from), toDay(query.to)],
    );
    return rows;
  }

  async monthlySeries(query: SeriesQuery): Promise<MonthlyPoint[]> {
    const { rows } = await this.db.query<MonthlyPoint>(
      `SELECT to_char(date_trunc('month', day), 'YYYY-MM') AS month, sum(consumption) AS consumption,
              count(*)::int AS days, count(*) FILTER (WHERE quality <> 'measured')::int AS "estimatedDays"
       FROM daily_consumption WHERE meter_id = $1 AND obis = $2 AND day BETWEEN $3::date AND $4::date
       GROUP BY 1 ORDER BY 1`,
      [query.meterId, query.obis, toDay(query.from), toDay(query.to)],
    );
    return rows;
  }

  upsertDaily(rows: readonly DailyRow[]): Promise<number> {
    for (const r of rows) {
      if (!(ROLLUP_QUALITIES as readonly string[]).includes(r.quality)) {
        throw new RangeError(`quality must be one of ${ROLLUP_QUALITIES.join(', ')} (got ${r.quality})`);
      }
      if (!Number.isFinite(r.consumption)) throw new RangeError(`consumption must be finite (day ${r.day})`);
    }
    return upsertDailyRows(this.db, rows);
  }

  async meterIds(): Promise<string[]> {
    const { rows } = await this.db.query<{ meter_id: string }>(
      'SELECT DISTINCT meter_id FROM daily_consumption ORDER BY meter_id',
    );
    return rows.map((r) => r.meter_id);
  }
}
