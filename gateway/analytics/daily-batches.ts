import type { SqlExecutor } from '../db/index.js';
import { dayString, WEEKDAY_ALIGNED_YEAR } from './days.js';
import type { MeterSeries } from './types.js';

/** Days before as-of a window comparison reads: a billing month (31) plus its 8 reference weeks. */
export const SCAN_LOOKBACK_DAYS = 31 + 56 - 1;

export interface BatchQuery {
  obis: string;
  asOf: number;
  batchSize: number;
}

/**
 * Streams meters' daily rollups from the `daily_consumption` table (gateway-contracts.md) in batches
 * of whole meters, keyset-paged on meter_id, reading only the two slices a scan needs (the recent
 * weeks and the same weeks one year earlier). Each batch is one query aggregated per meter in SQL, so
 * a million meters never sit in memory and the round trips are batch count, not meter count.
 */
export interface DailyBatchSource {
  batches(query: BatchQuery): AsyncIterable<MeterSeries[]>;
}

const BATCH_SQL = `
SELECT meter_id,
  array_agg((day - $3::date)::int ORDER BY day) AS d,
  array_agg(consumption ORDER BY day) AS c,
  array_agg(first_value ORDER BY day) AS f,
  array_agg(last_value ORDER BY day) AS l,
  array_agg(resets ORDER BY day) AS r
FROM daily_consumption
WHERE obis = $1 AND meter_id > $2
  AND (day BETWEEN $4::date AND $5::date OR day BETWEEN $6::date AND $7::date)
GROUP BY meter_id ORDER BY meter_id LIMIT $8`;

interface BatchRow {
  meter_id: string;
  d: number[];
  c: number[];
  f: (number | null)[];
  l: (number | null)[];
  r: (number | null)[];
}

export class SqlDailyBatchSource implements DailyBatchSource {
  private readonly db: SqlExecutor;

  constructor(options: { db: SqlExecutor }) {
    this.db = options.db;
  }

  async *batches(query: BatchQuery): AsyncIterable<MeterSeries[]> {
    const start = query.asOf - WEEKDAY_ALIGNED_YEAR - SCAN_LOOKBACK_DAYS;
    const length = query.asOf - start + 1;
    const params = [
      dayString(start),
      dayString(query.asOf - SCAN_LOOKBACK_DAYS),
      dayString(query.asOf),
      dayString(start),
      dayString(query.asOf - WEEKDAY_ALIGNED_YEAR),
    ];
    let after = '';
    for (;;) {
      const { rows } = await this.db.query<BatchRow>(BATCH_SQL, [
        query.obis,
        after,
        ...params,
        query.batchSize,
      ]);
      if (rows.length === 0) return;
      yield rows.map((row) => toSeries(row, query.obis, start, length));
      after = rows[rows.length - 1]!.meter_id;
      if (rows.length < query.batchSize) return;
    }
  }
}

function toSeries(row: BatchRow, obis: string, start: number, length: number): MeterSeries {
  const consumption = new Float64Array(length).fill(NaN);
  const first = new Float64Array(length).fill(NaN);
  const last = new Float64Array(length).fill(NaN);
  const resets = new Int32Array(length);
  for (let k = 0; k < row.d.length; k++) {
    const i = row.d[k]!;
    consumption[i] = row.c[k]!;
    first[i] = row.f[k] ?? NaN;
    last[i] = row.l[k] ?? NaN;
    resets[i] = row.r[k] ?? 0;
  }
  return { meterId: row.meter_id, obis, start, consumption, first, last, resets };
}
