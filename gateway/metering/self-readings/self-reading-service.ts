import { runMigrations, type SqlDatabase } from '../../platform/index.js';
import type { EstimationService, RegularisationRecord } from '../estimation/index.js';
import type { DailyRow } from '../rollups/index.js';
import { SELF_READING_MIGRATIONS } from './migrations.js';
import { checkSelfReading, type KnownValue } from './plausibility.js';
import type { Refusal } from './refusals.js';

export interface SelfReading {
  id: number;
  meterId: string;
  obis: string;
  index: number;
  readAt: Date;
  status: 'accepted' | 'refused';
  refusalCode: string | null;
  submittedBy: string;
  createdAt: Date;
}

export interface SubmitSelfReading {
  meterId: string;
  obis: string;
  index: number;
  /** When the customer read the meter (default: now). */
  readAt?: Date;
  submittedBy: string;
}

export type SubmitResult =
  | { ok: true; reading: SelfReading; regularisation?: RegularisationRecord }
  | { ok: false; reason: Refusal; reading: SelfReading };

export interface SelfReadingServiceOptions {
  db: SqlDatabase;
  /** Where accepted readings become `customer` daily rows (the rollups' upsertDaily). */
  rollups: { upsertDaily(rows: readonly DailyRow[]): Promise<number> };
  /** Regularises open estimates with the customer's index. */
  estimation?: EstimationService;
  /** Plausible maximum per day by register (default: 200 kWh electricity, 5 m³ water). */
  maxDailyConsumption?: (obis: string) => number;
  maxAgeDays?: number;
  now?: () => Date;
  migrate?: boolean;
}

const DAY_MS = 86_400_000;

export function defaultMaxDaily(obis: string): number {
  return obis.startsWith('8-') || obis.startsWith('9-') ? 5 : 200;
}

const COLUMNS = `id, meter_id AS "meterId", obis, index_value AS index, read_at AS "readAt", status,
  refusal_code AS "refusalCode", submitted_by AS "submittedBy", created_at AS "createdAt"`;

/**
 * Self-readings ("Auto-Relevé"): check plausibility against the register values around the reading
 * (daily rollups and earlier self-readings), store the outcome, and for accepted ones regularise any
 * open estimate, then record the index as `customer` daily rows on the days that had no real data.
 */
export class SelfReadingService {
  private readonly options: SelfReadingServiceOptions;

  constructor(options: SelfReadingServiceOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    if (this.options.migrate !== false) {
      await runMigrations(this.options.db, SELF_READING_MIGRATIONS);
    }
  }

  private get db(): SqlDatabase {
    return this.options.db;
  }

  /** Register values around `at`: previous (≤ at) and next (> at), from rollups and self-readings. */
  async knownValues(
    meterId: string,
    obis: string,
    at: Date,
  ): Promise<{ previous?: KnownValue; next?: KnownValue }> {
    const day = at.toISOString().slice(0, 10);
    // A day's first_value is the register at its start, last_value at its end (next midnight).
    const prev = await this.db.query<{ v: number; at: Date }>(
      `(SELECT last_value AS v, (day + 1)::timestamp AT TIME ZONE 'UTC' AS at FROM daily_consumption
         WHERE meter_id = $1 AND obis = $2 AND day < $3::date AND quality IN ('measured', 'customer') AND last_value IS NOT NULL
         ORDER BY day DESC LIMIT 1)
       UNION ALL
       (SELECT first_value, day::timestamp AT TIME ZONE 'UTC' FROM daily_consumption
         WHERE meter_id = $1 AND obis = $2 AND day = $3::date AND quality = 'measured' AND first_value IS NOT NULL)
       UNION ALL
       (SELECT index_value, read_at FROM self_readings WHERE meter_id = $1 AND obis = $2 AND status = 'accepted' AND read_at <= $4
         ORDER BY read_at DESC LIMIT 1)`,
      [meterId, obis, day, at],
    );
    const next = await this.db.query<{ v: number; at: Date }>(
      `(SELECT first_value AS v, day::timestamp AT TIME ZONE 'UTC' AS at FROM daily_consumption
         WHERE meter_id = $1 AND obis = $2 AND day > $3::date AND quality = 'measured' AND first_value IS NOT NULL
         ORDER BY day ASC LIMIT 1)
       UNION ALL
       (SELECT index_value, read_at FROM self_readings WHERE meter_id = $1 AND obis = $2 AND status = 'accepted' AND read_at > $4
         ORDER BY read_at ASC LIMIT 1)`,
      [meterId, obis, day, at],
    );
    const latest = prev.rows.sort((a, b) => b.at.getTime() - a.at.getTime())[0];
    const earliest = next.rows.sort((a, b) => a.at.getTime() - b.at.getTime())[0];
    return {
      ...(latest ? { previous: { index: latest.v, at: latest.at } } : {}),
      ...(earliest ? { next: { index: earliest.v, at: earliest.at } } : {}),
    };
  }

  async submit(s: SubmitSelfReading): Promise<SubmitResult> {
    const now = this.options.now?.() ?? new Date();
    const readAt = s.readAt ?? now;
    const known = await this.knownValues(s.meterId, s.obis, readAt);
    const check = checkSelfReading({
      index: s.index,
      readAt,
      now,
      ...known,
      maxDailyConsumption: (this.options.maxDailyConsumption ?? defaultMaxDaily)(s.obis),
      unit: s.obis.startsWith('8-') ? 'm³' : 'kWh',
      ...(this.options.maxAgeDays !== undefined ? { maxAgeDays: this.options.maxAgeDays } : {}),
    });
    const stored = Number.isFinite(s.index) ? s.index : -1;
    const reading = (
      await this.db.query<SelfReading>(
        `INSERT INTO self_readings (meter_id, obis, index_value, read_at, status, refusal_code, submitted_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
        [
          s.meterId,
          s.obis,
          stored,
          readAt,
          check.ok ? 'accepted' : 'refused',
          check.ok ? null : check.reason.code,
          s.submittedBy,
        ],
      )
    ).rows[0]!;
    if (!check.ok) return { ok: false, reason: check.reason, reading };
    const day = readAt.toISOString().slice(0, 10);
    const regularisation = await this.options.estimation?.regularise({
      meterId: s.meterId,
      obis: s.obis,
      readingDay: day,
      readingIndex: s.index,
      quality: 'customer',
    });
    await this.writeCustomerDays(s, readAt, known.previous!);
    return { ok: true, reading, ...(regularisation ? { regularisation } : {}) };
  }

  /**
   * The days from the previous real value to the reading that have no real row get `customer` rows,
   * the consumption spread evenly and the register interpolated (estimated rows are replaced).
   */
  private async writeCustomerDays(s: SubmitSelfReading, readAt: Date, previous: KnownValue): Promise<void> {
    const firstDay = Math.floor(previous.at.getTime() / DAY_MS);
    const lastDay = Math.floor(readAt.getTime() / DAY_MS);
    if (lastDay < firstDay) return;
    const { rows } = await this.db.query<{ day: string }>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day FROM generate_series($3::date, $4::date, interval '1 day') AS d
       WHERE NOT EXISTS (SELECT 1 FROM daily_consumption c WHERE c.meter_id = $1 AND c.obis = $2 AND c.day = d::date
         AND c.quality IN ('measured', 'customer'))`,
      [s.meterId, s.obis, new Date(firstDay * DAY_MS), new Date(lastDay * DAY_MS)],
    );
    if (!rows.length) return;
    const perDay = (s.index - previous.index) / rows.length;
    let register = previous.index;
    await this.options.rollups.upsertDaily(
      rows.map((r) => {
        const row: DailyRow = {
          meterId: s.meterId,
          obis: s.obis,
          day: r.day,
          consumption: perDay,
          quality: 'customer',
          firstValue: register,
          lastValue: register + perDay,
        };
        register += perDay;
        return row;
      }),
    );
  }

  async list(meterId: string, limit = 50): Promise<SelfReading[]> {
    const { rows } = await this.db.query<SelfReading>(
      `SELECT ${COLUMNS} FROM self_readings WHERE meter_id = $1 ORDER BY read_at DESC, id DESC LIMIT $2`,
      [meterId, limit],
    );
    return rows;
  }
}
