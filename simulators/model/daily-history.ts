import type { Anomaly } from './anomalies.js';
import { advance, seededInitialKwh, type RegisterSnapshot } from './energy-register.js';
import { DAY_MS, LoadProfile, type ProfileKind } from './load-profile.js';

/**
 * Fast-forward: the daily consumption of one meter over a date range, from the same model the live
 * simulator serves (same seed and meter id → the same numbers). A meter-year is 35,040 quarter-hour
 * evaluations (a few ms), so 1,000 meters × 2 years take seconds, not hours.
 */
export interface DailyHistoryOptions {
  readonly meterId: string;
  readonly seed: string | number;
  readonly profile: ProfileKind;
  /** First day (UTC, `YYYY-MM-DD` or ms since epoch; the day containing it). */
  readonly from: string | number;
  /** Last day, inclusive. */
  readonly to: string | number;
  /** Import register at the start of `from` (kWh, default 0). */
  readonly initialKwh?: number;
  /**
   * The register the live meter shows at instant `t` (its first reading): the history is shifted so
   * that it reaches exactly `kwh` at `t`, i.e. history, live value and display are one register.
   * `kwh` defaults to the meter's seeded start value (what SimulatedMeter shows unconfigured).
   * Overrides initialKwh.
   */
  readonly anchor?: { readonly t: number; readonly kwh?: number };
  readonly annualKwh?: number;
  readonly anomalies?: readonly Anomaly[];
}

export interface DailyConsumption {
  /** `YYYY-MM-DD` (UTC). */
  readonly date: string;
  /** Start of the day, ms since epoch. */
  readonly start: number;
  /** Register delta over the day (kWh): negative after a rollback, zero while stopped. */
  readonly kwh: number;
  /** Import register at the end of the day (kWh). */
  readonly registerKwh: number;
  /** Anomaly kinds active (or happening) during this day: the ground truth for detection tests. */
  readonly anomalies: readonly Anomaly['kind'][];
}

function dayStart(d: string | number): number {
  const t = typeof d === 'number' ? d : Date.parse(`${d.slice(0, 10)}T00:00:00Z`);
  if (!Number.isFinite(t)) throw new RangeError(`not a date: ${String(d)}`);
  return Math.floor(t / DAY_MS) * DAY_MS;
}

function activeKinds(anomalies: readonly Anomaly[], a: number, b: number): Anomaly['kind'][] {
  const kinds = new Set<Anomaly['kind']>();
  for (const x of anomalies) {
    if (
      x.kind === 'rollback'
        ? x.at > a && x.at <= b
        : x.from < b && (x.kind !== 'stopped' || x.to === undefined || x.to > a)
    ) {
      kinds.add(x.kind);
    }
  }
  return [...kinds];
}

export function* dailyHistory(options: DailyHistoryOptions): Generator<DailyConsumption> {
  const profile = new LoadProfile({
    kind: options.profile,
    seed: options.seed,
    meterId: options.meterId,
    ...(options.annualKwh !== undefined ? { annualKwh: options.annualKwh } : {}),
  });
  const anomalies = options.anomalies ?? [];
  const first = dayStart(options.from);
  const last = dayStart(options.to);
  let initial = options.initialKwh ?? 0;
  if (options.anchor) {
    const grown = advance(profile, anomalies, { t: first, totalKwh: 0, tariff1Kwh: 0 }, options.anchor.t);
    initial = (options.anchor.kwh ?? seededInitialKwh(profile)) - grown.totalKwh;
  }
  let snap: RegisterSnapshot = { t: first, totalKwh: initial, tariff1Kwh: 0 };
  for (let start = first; start <= last; start += DAY_MS) {
    const next = advance(profile, anomalies, snap, start + DAY_MS);
    yield {
      date: new Date(start).toISOString().slice(0, 10),
      start,
      kwh: next.totalKwh - snap.totalKwh,
      registerKwh: next.totalKwh,
      anomalies: activeKinds(anomalies, start, start + DAY_MS),
    };
    snap = next;
  }
}
