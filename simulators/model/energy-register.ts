import { anomalyBoundaries, anomalyStateAt, rollbackBetween, type Anomaly } from './anomalies.js';
import type { LoadProfile } from './load-profile.js';

/**
 * The import energy register as a function of time: the start value plus the integral of the
 * effective power (profile × jump factor + leak, zero while stopped) minus rollbacks. The live meter
 * and the daily-history generator both advance through `advance`, so they cannot disagree.
 */
export interface RegisterSnapshot {
  /** Instant of the snapshot (ms since epoch). */
  readonly t: number;
  /** Import register, total and tariff 1 (kWh). Tariff 2 is total − tariff 1 − rollbacks' share. */
  readonly totalKwh: number;
  readonly tariff1Kwh: number;
}

/** Effective active power (kW) at t, with anomalies applied. */
export function effectivePower(profile: LoadProfile, anomalies: readonly Anomaly[], t: number): number {
  const s = anomalyStateAt(anomalies, t);
  if (s.stopped) return 0;
  return profile.powerAt(t) * s.factor + s.leakKw;
}

/** The register at `to`, from a snapshot at an earlier instant. */
export function advance(
  profile: LoadProfile,
  anomalies: readonly Anomaly[],
  from: RegisterSnapshot,
  to: number,
): RegisterSnapshot {
  if (to <= from.t) return from;
  let total = from.totalKwh;
  let tariff1 = from.tariff1Kwh;
  const cuts = [from.t, ...anomalyBoundaries(anomalies, from.t, to), to];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i]!;
    const b = cuts[i + 1]!;
    const s = anomalyStateAt(anomalies, a);
    if (s.stopped) continue;
    const e = profile.energyBetween(a, b);
    const hours = (b - a) / 3_600_000;
    total += e.total * s.factor + s.leakKw * hours;
    tariff1 += e.tariff1 * s.factor + s.leakKw * tariff1Hours(a, b);
  }
  const drop = rollbackBetween(anomalies, from.t, to);
  // A rollback lowers the total; keep tariff 1 ≤ total so tariff 2 never goes negative.
  total -= drop;
  tariff1 = Math.min(tariff1, total);
  return { t: to, totalKwh: Math.max(0, total), tariff1Kwh: Math.max(0, tariff1) };
}

/** Hours of tariff 1 (07:00–22:00 UTC) inside [a, b]. */
function tariff1Hours(a: number, b: number): number {
  const DAY = 86_400_000;
  let h = 0;
  for (let d = Math.floor(a / DAY) * DAY; d < b; d += DAY) {
    const s = Math.max(a, d + 7 * 3_600_000);
    const e = Math.min(b, d + 22 * 3_600_000);
    if (e > s) h += (e - s) / 3_600_000;
  }
  return h;
}

/**
 * The register a simulated meter shows at its first reading when none is configured, drawn from its
 * seed: three to seven years of the meter's average use, so the two years of history backfilled
 * before it never start below zero. The daily history is anchored on it (see dailyHistory's `anchor`), so the backfilled days,
 * the live value and the meter's display are one register.
 */
export function seededInitialKwh(profile: LoadProfile): number {
  return Math.round(profile.annualKwh * (3 + 4 * profile.draw(0x200)));
}
