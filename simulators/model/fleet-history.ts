import type { Anomaly } from './anomalies.js';
import { dailyHistory, type DailyConsumption } from './daily-history.js';
import { DAY_MS, type ProfileKind } from './load-profile.js';
import { hashString, uniform } from './random.js';

/**
 * Daily history for a whole fleet with ground-truth anomalies, for analytics fixtures (e.g. 1,000
 * meters × 2 years). Which meters get an anomaly, of which kind, when and how strong is drawn from
 * the seed, so the same options always give the same fleet; each meter's days come from
 * `dailyHistory`, i.e. from the same model the live simulator serves.
 */
export interface FleetHistoryOptions {
  readonly seed: string | number;
  readonly meters: number;
  /** First and last day, `YYYY-MM-DD` (UTC), inclusive. */
  readonly from: string;
  readonly to: string;
  readonly idPrefix?: string;
  /** Share of small-business meters (default 0.2); the rest are households. */
  readonly businessShare?: number;
  /** Share of meters given one anomaly (default 0.05). */
  readonly anomalyShare?: number;
}

export interface MeterHistory {
  readonly meterId: string;
  readonly profile: ProfileKind;
  readonly initialKwh: number;
  /** Injected anomalies (empty for a normal meter): the ground truth. */
  readonly anomalies: readonly Anomaly[];
  days(): Generator<DailyConsumption>;
}

/** Anomalies start after the first 30 % of the range, so a detector has history to compare with. */
const QUIET_SHARE = 0.3;

function pickAnomaly(key: number, i: number, from: number, to: number): Anomaly {
  const u = (k: number) => uniform(key, i, k);
  const span = to - from;
  const at = Math.floor((from + span * (QUIET_SHARE + (1 - QUIET_SHARE - 0.1) * u(2))) / DAY_MS) * DAY_MS;
  switch (Math.floor(u(1) * 4)) {
    case 0:
      return { kind: 'jump', from: at, factor: Number((1.5 + 1.5 * u(3)).toFixed(2)) };
    case 1:
      return { kind: 'leak', from: at, kw: Number((0.2 + 0.8 * u(3)).toFixed(2)) };
    case 2:
      return { kind: 'stopped', from: at, to: at + Math.round(3 + 27 * u(3)) * DAY_MS };
    default:
      return { kind: 'rollback', at: at + 12 * 3_600_000, kwh: Math.round(100 + 900 * u(3)) };
  }
}

export function* fleetHistory(options: FleetHistoryOptions): Generator<MeterHistory> {
  const key = hashString(`${options.seed}\u0000fleet-history`);
  const from = Date.parse(`${options.from}T00:00:00Z`);
  const to = Date.parse(`${options.to}T00:00:00Z`);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new RangeError(
      `fleetHistory: from/to must be YYYY-MM-DD with from ≤ to, got ${options.from}..${options.to}`,
    );
  }
  for (let i = 0; i < options.meters; i++) {
    const meterId = `${options.idPrefix ?? 'meter-'}${String(i + 1).padStart(4, '0')}`;
    const profile: ProfileKind =
      uniform(key, i, 10) < (options.businessShare ?? 0.2) ? 'small-business' : 'household';
    const initialKwh = Math.round(1000 + 20000 * uniform(key, i, 11));
    const anomalies =
      uniform(key, i, 12) < (options.anomalyShare ?? 0.05) ? [pickAnomaly(key, i, from, to)] : [];
    yield {
      meterId,
      profile,
      initialKwh,
      anomalies,
      days: () => dailyHistory({ meterId, seed: options.seed, profile, from, to, initialKwh, anomalies }),
    };
  }
}
