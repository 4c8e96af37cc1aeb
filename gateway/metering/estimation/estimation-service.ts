import { GatewayError, runMigrations, type SqlDatabase, type SqlExecutor } from '../../platform/index.js';
import type { DailyRow } from '../rollups/index.js';
import { EstimationError } from './errors.js';
import {
  dayNum,
  dayStr,
  estimatePeriod,
  shiftYears,
  type Estimate,
  type EstimateOptions,
} from './estimator.js';
import { ESTIMATION_MIGRATIONS } from './migrations.js';

export interface EstimateRecord {
  id: number;
  meterId: string;
  obis: string;
  periodFrom: string;
  periodTo: string;
  estimated: number;
  basis: Estimate['basis'];
  basisDetail: Estimate['detail'];
  status: 'estimated' | 'regularised';
  regularisationId: number | null;
  createdAt: Date;
}

export interface RegularisationRecord {
  id: number;
  meterId: string;
  obis: string;
  periodFrom: string;
  periodTo: string;
  /** What the customer was billed over the period: estimates plus real days. */
  billed: number;
  /** Register difference between the real readings framing the period. */
  actual: number;
  difference: number;
  readingQuality: 'measured' | 'customer';
  readingDay: string;
  readingIndex: number;
  startIndex: number;
  usualLevel: number | null;
  aboveUsual: boolean;
  instalmentMonths: number | null;
  instalmentAmount: number | null;
  createdAt: Date;
}

/** Where estimated daily rows go: the rollups' upsertDaily (gateway/rollups RollupStore). */
export interface DailyWriter {
  upsertDaily(rows: readonly DailyRow[]): Promise<number>;
}

export interface EstimationServiceOptions {
  db: SqlDatabase;
  rollups: DailyWriter;
  estimate?: EstimateOptions;
  /** Instalments offered when a regularisation is above the usual level (default 6 months). */
  instalmentMonths?: number;
  /** "Above the usual level": actual more than usual × (1 + this) (default 0.1). */
  usualTolerance?: number;
  migrate?: boolean;
  /** Called after each regularisation (to notify the customer). */
  onRegularised?: (r: RegularisationRecord) => Promise<void>;
  /** Called after each new estimate (to send the estimated bill). */
  onEstimated?: (e: EstimateRecord) => Promise<void>;
  /** The clock (tests): a period ending after today is refused. */
  now?: () => Date;
}

/** The last whole calendar month before `now` (UTC): the period the daily job estimates. */
export function lastClosedMonth(now: Date): { from: string; to: string } {
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  return { from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) };
}

const REAL = `quality IN ('measured', 'customer')`;

const ESTIMATE_COLUMNS = `id, meter_id AS "meterId", obis, to_char(period_from, 'YYYY-MM-DD') AS "periodFrom",
  to_char(period_to, 'YYYY-MM-DD') AS "periodTo", estimated, basis, basis_detail AS "basisDetail", status,
  regularisation_id AS "regularisationId", created_at AS "createdAt"`;

const REGULARISATION_COLUMNS = `id, meter_id AS "meterId", obis, to_char(period_from, 'YYYY-MM-DD') AS "periodFrom",
  to_char(period_to, 'YYYY-MM-DD') AS "periodTo", billed, actual, difference, reading_quality AS "readingQuality",
  to_char(reading_day, 'YYYY-MM-DD') AS "readingDay", reading_index AS "readingIndex", start_index AS "startIndex",
  usual_level AS "usualLevel", above_usual AS "aboveUsual", instalment_months AS "instalmentMonths",
  instalment_amount AS "instalmentAmount", created_at AS "createdAt"`;

/**
 * Estimates billing periods that have no real reading, and regularises them when one arrives. Reads
 * the daily rollups (`daily_consumption`) directly in SQL and writes estimated days through the
 * rollups' upsertDaily, never over a real (measured or customer) day.
 */
export class EstimationService {
  private readonly options: EstimationServiceOptions;

  constructor(options: EstimationServiceOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    if (this.options.migrate !== false) await runMigrations(this.options.db, ESTIMATION_MIGRATIONS);
  }

  private get db(): SqlDatabase {
    return this.options.db;
  }

  /** Real daily consumption (measured or customer) of a meter over [from, to]. */
  async realDays(
    meterId: string,
    obis: string,
    from: string,
    to: string,
    q: SqlExecutor = this.db,
  ): Promise<Map<string, number>> {
    const { rows } = await q.query<{ day: string; consumption: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, consumption FROM daily_consumption
       WHERE meter_id = $1 AND obis = $2 AND day BETWEEN $3::date AND $4::date AND ${REAL}`,
      [meterId, obis, from, to],
    );
    return new Map(rows.map((r) => [r.day, r.consumption]));
  }

  /** Estimate one period. MG_ERR_ESTIMATION_NOT_NEEDED when it already has real readings. */
  async estimate(q: { meterId: string; obis: string; from: string; to: string }): Promise<EstimateRecord> {
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(q.from) ||
      !/^\d{4}-\d{2}-\d{2}$/.test(q.to) ||
      dayNum(q.to) < dayNum(q.from)
    ) {
      throw new EstimationError('MG_ERR_ESTIMATION_BAD_PERIOD', `${q.from}..${q.to}`);
    }
    const len = dayNum(q.to) - dayNum(q.from) + 1;
    if (len > 400) throw new EstimationError('MG_ERR_ESTIMATION_BAD_PERIOD', 'longer than 400 days');
    const today = (this.options.now?.() ?? new Date()).toISOString().slice(0, 10);
    if (q.to > today) {
      // An estimate stands in for a reading that did not come; a period still to come has none due.
      throw new GatewayError('MG_ERR_ESTIMATION_FUTURE_PERIOD', { params: { to: q.to, today } });
    }
    const history = await this.realDays(q.meterId, q.obis, shiftYears(q.from, -2), q.to);
    let realInPeriod = 0;
    let realSum = 0;
    for (let d = dayNum(q.from); d <= dayNum(q.to); d++) {
      const v = history.get(dayStr(d));
      if (v !== undefined) {
        realInPeriod++;
        realSum += v;
      }
    }
    if (realInPeriod / len >= (this.options.estimate?.minCoverage ?? 0.9)) {
      throw new EstimationError('MG_ERR_ESTIMATION_NOT_NEEDED', `${realInPeriod} of ${len} days were read`);
    }
    const est = estimatePeriod(history, q, this.options.estimate);
    if (!est) throw new EstimationError('MG_ERR_ESTIMATION_NO_HISTORY', `meter ${q.meterId}`);
    const { rows } = await this.db.query<EstimateRecord & { inserted: boolean }>(
      `INSERT INTO estimation_estimates (meter_id, obis, period_from, period_to, estimated, basis, basis_detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
       ON CONFLICT (meter_id, obis, period_from, period_to) DO UPDATE SET estimated = excluded.estimated,
         basis = excluded.basis, basis_detail = excluded.basis_detail
       WHERE estimation_estimates.status = 'estimated'
       RETURNING ${ESTIMATE_COLUMNS}, (xmax = 0) AS inserted`,
      [q.meterId, q.obis, q.from, q.to, est.estimated, est.basis, JSON.stringify(est.detail)],
    );
    const row = rows[0];
    if (!row) {
      // Already regularised: the real reading wins, the estimate stays as it was.
      return (await this.estimates(q.meterId, q.obis)).find(
        (e) => e.periodFrom === q.from && e.periodTo === q.to,
      )!;
    }
    await this.fillEstimatedDays(q, est.estimated - realSum);
    const { inserted, ...record } = row;
    if (inserted) await this.options.onEstimated?.(record);
    return record;
  }

  /** Spread the estimate's remainder over the days with no row at all (real days are never touched). */
  private async fillEstimatedDays(
    q: { meterId: string; obis: string; from: string; to: string },
    remainder: number,
  ) {
    const { rows } = await this.db.query<{ day: string }>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day FROM generate_series($3::date, $4::date, interval '1 day') AS d
       WHERE NOT EXISTS (SELECT 1 FROM daily_consumption c WHERE c.meter_id = $1 AND c.obis = $2 AND c.day = d::date
         AND c.quality <> 'estimated')`,
      [q.meterId, q.obis, q.from, q.to],
    );
    if (!rows.length) return;
    const perDay = Math.max(0, remainder) / rows.length;
    await this.options.rollups.upsertDaily(
      rows.map((r) => ({
        meterId: q.meterId,
        obis: q.obis,
        day: r.day,
        consumption: perDay,
        quality: 'estimated' as const,
      })),
    );
  }

  /** Every meter with history but without enough real days in the period: estimate it (the job). */
  async estimateDue(q: {
    obis: string;
    from: string;
    to: string;
  }): Promise<{ estimated: number; skipped: number }> {
    const len = dayNum(q.to) - dayNum(q.from) + 1;
    const minDays = Math.ceil(len * (this.options.estimate?.minCoverage ?? 0.9));
    const { rows } = await this.db.query<{ meter_id: string }>(
      `SELECT meter_id FROM daily_consumption WHERE obis = $1 AND day BETWEEN ($2::date - 400) AND $3::date AND ${REAL}
       GROUP BY meter_id HAVING count(*) FILTER (WHERE day BETWEEN $2::date AND $3::date) < $4 ORDER BY meter_id`,
      [q.obis, q.from, q.to, minDays],
    );
    let estimated = 0;
    let skipped = 0;
    for (const r of rows) {
      try {
        await this.estimate({ meterId: r.meter_id, obis: q.obis, from: q.from, to: q.to });
        estimated++;
      } catch (err) {
        if (err instanceof EstimationError) skipped++;
        else throw err;
      }
    }
    return { estimated, skipped };
  }

  /**
   * A real register value arrived (measured, or the customer's self-reading): compare what was billed
   * since the last real value before the open estimates with what the register says, record the
   * difference, and offer instalments when the consumption is above the customer's usual level.
   * Returns undefined when no estimate is open.
   */
  async regularise(r: {
    meterId: string;
    obis: string;
    readingDay: string;
    readingIndex: number;
    quality: 'measured' | 'customer';
  }): Promise<RegularisationRecord | undefined> {
    return this.db
      .transaction(async (tx) => {
        const open = (
          await tx.query<EstimateRecord>(
            `SELECT ${ESTIMATE_COLUMNS} FROM estimation_estimates WHERE meter_id = $1 AND obis = $2 AND status = 'estimated'
           AND period_from <= $3::date ORDER BY period_from FOR UPDATE`,
            [r.meterId, r.obis, r.readingDay],
          )
        ).rows;
        if (!open.length) return undefined;
        const from = open[0]!.periodFrom;
        const start = await tx.query<{ last_value: number; day: string }>(
          `SELECT last_value, to_char(day, 'YYYY-MM-DD') AS day FROM daily_consumption
         WHERE meter_id = $1 AND obis = $2 AND day < $3::date AND ${REAL} AND last_value IS NOT NULL
         ORDER BY day DESC LIMIT 1`,
          [r.meterId, r.obis, from],
        );
        const startIndex = start.rows[0]?.last_value;
        if (startIndex === undefined)
          throw new EstimationError('MG_ERR_ESTIMATION_NO_START_INDEX', r.meterId);
        // Billed over [from, readingDay]: each open estimate prorated to the days before the reading,
        // plus the real days outside the estimated periods.
        const to = r.readingDay;
        let billed = 0;
        const covered = new Set<string>();
        for (const e of open) {
          const a = dayNum(e.periodFrom);
          const b = Math.min(dayNum(e.periodTo), dayNum(to));
          const len = dayNum(e.periodTo) - a + 1;
          billed += (e.estimated * (b - a + 1)) / len;
          for (let d = a; d <= b; d++) covered.add(dayStr(d));
        }
        const real = await this.realDays(r.meterId, r.obis, from, to, tx);
        for (const [day, v] of real) if (!covered.has(day)) billed += v;
        const actual = r.readingIndex - startIndex;
        const difference = actual - billed;
        const history = await this.realDays(
          r.meterId,
          r.obis,
          shiftYears(from, -2),
          dayStr(dayNum(from) - 1),
          tx,
        );
        const usual = estimatePeriod(history, { from, to }, this.options.estimate)?.estimated ?? null;
        const aboveUsual =
          difference > 0 && usual !== null && actual > usual * (1 + (this.options.usualTolerance ?? 0.1));
        const months = aboveUsual ? (this.options.instalmentMonths ?? 6) : null;
        const reg = (
          await tx.query<RegularisationRecord>(
            `INSERT INTO estimation_regularisations (meter_id, obis, period_from, period_to, billed, actual, difference,
             reading_quality, reading_day, reading_index, start_index, usual_level, above_usual, instalment_months, instalment_amount)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $4, $9, $10, $11, $12, $13, $14)
           RETURNING ${REGULARISATION_COLUMNS}`,
            [
              r.meterId,
              r.obis,
              from,
              to,
              billed,
              actual,
              difference,
              r.quality,
              r.readingIndex,
              startIndex,
              usual,
              aboveUsual,
              months,
              months ? difference / months : null,
            ],
          )
        ).rows[0]!;
        await tx.query(
          `UPDATE estimation_estimates SET status = 'regularised', regularisation_id = $2 WHERE id = ANY($1::bigint[])`,
          [open.map((e) => e.id), reg.id],
        );
        return reg;
      })
      .then(async (reg) => {
        if (reg) await this.options.onRegularised?.(reg);
        return reg;
      });
  }

  /**
   * The daily job: estimate the last whole month for every meter without (enough) real readings in
   * it, then regularise what a real reading has since closed. Idempotent: an estimate is unique per
   * (meter, register, period), so running it every day only fills what is still missing.
   */
  async runDaily(
    obis: string,
  ): Promise<{ from: string; to: string; estimated: number; skipped: number; regularised: number }> {
    const period = lastClosedMonth(this.options.now?.() ?? new Date());
    const due = await this.estimateDue({ obis, ...period });
    return { ...period, ...due, regularised: await this.regulariseDue(obis) };
  }

  /** Open estimates followed by a measured day with a register value: regularise them (the job). */
  async regulariseDue(obis: string): Promise<number> {
    const { rows } = await this.db.query<{ meter_id: string; day: string; last_value: number }>(
      `SELECT DISTINCT ON (e.meter_id) e.meter_id, to_char(c.day, 'YYYY-MM-DD') AS day, c.last_value
       FROM estimation_estimates e JOIN daily_consumption c
         ON c.meter_id = e.meter_id AND c.obis = e.obis AND c.day > e.period_to AND c.quality = 'measured' AND c.last_value IS NOT NULL
       WHERE e.obis = $1 AND e.status = 'estimated'
       ORDER BY e.meter_id, c.day ASC`,
      [obis],
    );
    let n = 0;
    for (const r of rows) {
      const reg = await this.regularise({
        meterId: r.meter_id,
        obis,
        readingDay: r.day,
        readingIndex: r.last_value,
        quality: 'measured',
      });
      if (reg) n++;
    }
    return n;
  }

  async estimates(meterId: string, obis?: string): Promise<EstimateRecord[]> {
    const { rows } = await this.db.query<EstimateRecord>(
      `SELECT ${ESTIMATE_COLUMNS} FROM estimation_estimates WHERE meter_id = $1 AND ($2::text IS NULL OR obis = $2)
       ORDER BY period_from DESC`,
      [meterId, obis ?? null],
    );
    return rows;
  }

  async regularisations(meterId: string, obis?: string): Promise<RegularisationRecord[]> {
    const { rows } = await this.db.query<RegularisationRecord>(
      `SELECT ${REGULARISATION_COLUMNS} FROM estimation_regularisations WHERE meter_id = $1 AND ($2::text IS NULL OR obis = $2)
       ORDER BY id DESC`,
      [meterId, obis ?? null],
    );
    return rows;
  }
}
