import { estimatePeriod, shiftYears } from '../../metering/index.js';
import type { SqlExecutor } from '../../platform/index.js';
import { addDays } from '../money/calendar.js';
import type { IndexValue } from './compose-bill.js';

export interface IndexQuery {
  contract: string;
  meterId: string;
  obis: string;
  from: string;
  to: string;
  previous: IndexValue;
  /** Mean daily consumption of the contract's earlier bills: the last-resort estimate. */
  recentDaily?: number;
}

export interface EndIndex extends IndexValue {
  /** How an estimate was made (same period of the two previous years, recent history, past bills). */
  basis?: string;
}

/**
 * Where the index at a period's end comes from, in order of precedence: a measured register value
 * (remote reading) on the last days of the period, the customer's accepted self-reading
 * (auto-relevé) around the period end, else an estimate by metering's estimator (same period of the
 * two previous years, then recent history) — and as a last resort the contract's own past bills.
 */
export interface IndexSource {
  endIndexes(queries: readonly IndexQuery[]): Promise<Map<string, EndIndex | undefined>>;
}

/** Days before the period end a measured index still counts as the end index. */
const MEASURED_WINDOW_DAYS = 2;
/** Self-readings submitted this many days before / after the period end count for it. */
const SELF_READ_BEFORE_DAYS = 6;
const SELF_READ_AFTER_DAYS = 4;

const missingTable = (err: unknown) => (err as { code?: string }).code === '42P01';

async function rowsOrNone<T>(run: () => Promise<{ rows: T[] }>): Promise<T[]> {
  try {
    return (await run()).rows;
  } catch (err) {
    if (missingTable(err)) return []; // metering tables not migrated in this deployment
    throw err;
  }
}

export class SqlIndexSource implements IndexSource {
  private readonly db: SqlExecutor;

  constructor(options: { db: SqlExecutor }) {
    this.db = options.db;
  }

  async endIndexes(queries: readonly IndexQuery[]): Promise<Map<string, EndIndex | undefined>> {
    const out = new Map<string, EndIndex | undefined>();
    if (!queries.length) return out;
    const meters = [...new Set(queries.map((q) => q.meterId))];
    const minTo = queries.reduce((m, q) => (q.to < m ? q.to : m), queries[0]!.to);
    const maxTo = queries.reduce((m, q) => (q.to > m ? q.to : m), queries[0]!.to);
    const measured = await rowsOrNone(() =>
      this.db.query<{ meter: string; obis: string; day: string; value: number }>(
        `SELECT meter_id AS meter, obis, to_char(day, 'YYYY-MM-DD') AS day, last_value AS value
           FROM daily_consumption
          WHERE meter_id = ANY($1) AND day BETWEEN $2 AND $3 AND quality = 'measured' AND last_value IS NOT NULL
          ORDER BY meter_id, obis, day DESC`,
        [meters, addDays(minTo, -MEASURED_WINDOW_DAYS), maxTo],
      ),
    );
    const selfRead = await rowsOrNone(() =>
      this.db.query<{ meter: string; obis: string; day: string; value: number }>(
        `SELECT meter_id AS meter, obis, to_char(read_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, index_value AS value
           FROM self_readings
          WHERE meter_id = ANY($1) AND status = 'accepted' AND read_at >= $2::date AND read_at < $3::date
          ORDER BY meter_id, obis, read_at DESC`,
        [meters, addDays(minTo, -SELF_READ_BEFORE_DAYS), addDays(maxTo, SELF_READ_AFTER_DAYS + 1)],
      ),
    );
    const pick = (rows: typeof measured, q: IndexQuery, lo: string, hi: string) =>
      rows.find((r) => r.meter === q.meterId && r.obis === q.obis && r.day >= lo && r.day <= hi);
    const toEstimate: IndexQuery[] = [];
    for (const q of queries) {
      const m = pick(measured, q, addDays(q.to, -MEASURED_WINDOW_DAYS), q.to);
      const s = m
        ? undefined
        : pick(selfRead, q, addDays(q.to, -SELF_READ_BEFORE_DAYS), addDays(q.to, SELF_READ_AFTER_DAYS));
      const hit = m ?? s;
      if (hit) {
        // Integer units as printed on the bill; an index never goes back (a reset is not billed negative).
        out.set(q.contract, {
          index: Math.max(q.previous.index, Math.floor(hit.value)),
          quality: m ? 'real' : 'self-read',
        });
      } else toEstimate.push(q);
    }
    if (toEstimate.length) await this.estimate(toEstimate, out);
    return out;
  }

  private async estimate(
    queries: readonly IndexQuery[],
    out: Map<string, EndIndex | undefined>,
  ): Promise<void> {
    const meters = [...new Set(queries.map((q) => q.meterId))];
    const earliest = queries.reduce((m, q) => (q.from < m ? q.from : m), queries[0]!.from);
    const latest = queries.reduce((m, q) => (q.to > m ? q.to : m), queries[0]!.to);
    const history = await rowsOrNone(() =>
      this.db.query<{ meter: string; obis: string; day: string; consumption: number }>(
        `SELECT meter_id AS meter, obis, to_char(day, 'YYYY-MM-DD') AS day, consumption
           FROM daily_consumption
          WHERE meter_id = ANY($1) AND quality IN ('measured', 'customer') AND day BETWEEN $2 AND $3`,
        [meters, shiftYears(earliest, -2), latest],
      ),
    );
    const series = new Map<string, Map<string, number>>();
    for (const r of history) {
      const key = `${r.meter}\u0000${r.obis}`;
      const m = series.get(key) ?? new Map<string, number>();
      m.set(r.day, r.consumption);
      series.set(key, m);
    }
    for (const q of queries) {
      const real = series.get(`${q.meterId}\u0000${q.obis}`) ?? new Map<string, number>();
      const e = estimatePeriod(real, { from: q.from, to: q.to });
      const days = Math.round((Date.parse(q.to) - Date.parse(q.from)) / 86_400_000) + 1;
      const units = e ? e.estimated : q.recentDaily !== undefined ? q.recentDaily * days : undefined;
      out.set(
        q.contract,
        units === undefined
          ? undefined
          : {
              index: q.previous.index + Math.max(0, Math.round(units)),
              quality: 'estimated',
              basis: e?.basis ?? 'past_bills',
            },
      );
    }
  }
}
