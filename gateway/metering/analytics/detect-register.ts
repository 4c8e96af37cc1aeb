import { dayString } from './days.js';
import type { Thresholds } from './thresholds.js';
import type { DetectedAnomaly, MeterSeries } from './types.js';

/**
 * Trailing run of zero-consumption days ending at `asOf` (missing days neither break nor extend it).
 * A stopped meter or a bypass, unless the meter is a disconnected prepaid one (zero is expected).
 */
export function detectZeroRun(s: MeterSeries, asOf: number, t: Thresholds): DetectedAnomaly | undefined {
  let zeros = 0;
  let since = asOf;
  let i = asOf - s.start;
  for (; i >= 0; i--) {
    const v = s.consumption[i]!;
    if (v !== v) continue;
    if (v !== 0) break;
    zeros++;
    since = s.start + i;
  }
  if (zeros < t.zeroDays || i < 0) return undefined; // no earlier non-zero day: never consumed
  if (s.disconnectedSince !== undefined && s.disconnectedSince <= since + 1) return undefined;
  let before = 0;
  let n = 0;
  for (let j = Math.max(0, i - 27); j <= i; j++) {
    const v = s.consumption[j]!;
    if (v === v) {
      before += v;
      n++;
    }
  }
  return {
    meterId: s.meterId,
    obis: s.obis,
    kind: 'zero_consumption',
    day: dayString(asOf),
    evidence: {
      since: dayString(since),
      zeroDays: zeros,
      thresholdDays: t.zeroDays,
      dailyMeanBefore: n ? before / n : null,
      registerValue: Number.isNaN(s.last[asOf - s.start]!) ? null : s.last[asOf - s.start],
    },
  };
}

/**
 * The register going backwards within the last window: a negative daily delta, a day ending below its
 * start, or a day starting below where the previous one ended (reset, rollback, tampering).
 */
export function detectBackwards(s: MeterSeries, asOf: number, t: Thresholds): DetectedAnomaly | undefined {
  const from = Math.max(asOf - t.windowDays + 1 - s.start, 0);
  // Where the register stood before the window: the last day known (a missing day is skipped, a
  // gap in the data is not a reset).
  let prevLast = NaN;
  for (let i = from - 1; i >= 0 && i >= from - 31; i--) {
    if (s.last[i]! === s.last[i]!) {
      prevLast = s.last[i]!;
      break;
    }
  }
  let found: { i: number; previous: number; next: number } | undefined;
  for (let i = from; i <= asOf - s.start && i < s.consumption.length; i++) {
    const first = s.first[i]!;
    const last = s.last[i]!;
    if (prevLast === prevLast && first === first && first < prevLast - t.backwardsTolerance) {
      found = { i, previous: prevLast, next: first };
    } else if (first === first && last === last && last < first - t.backwardsTolerance) {
      found = { i, previous: first, next: last };
    } else if (s.consumption[i]! < -t.backwardsTolerance) {
      found = { i, previous: 0, next: s.consumption[i]! };
    } else if (s.resets && s.resets[i]! > 0) {
      // The rollup engine saw the register restart inside the day (its first/last hide the drop).
      found = { i, previous: first, next: last };
    }
    if (found) break;
    if (last === last) prevLast = last;
  }
  if (!found) return undefined;
  const day = dayString(s.start + found.i);
  return {
    meterId: s.meterId,
    obis: s.obis,
    kind: 'register_backwards',
    day,
    evidence: { day, previousValue: found.previous, newValue: found.next, drop: found.previous - found.next },
  };
}

/** Energy recorded after a prepaid meter's relay was opened: bypass or a relay that did not open. */
export function detectDisconnectedConsumption(
  s: MeterSeries,
  asOf: number,
  t: Thresholds,
): DetectedAnomaly | undefined {
  if (s.disconnectedSince === undefined) return undefined;
  let total = 0;
  let days = 0;
  // The disconnection day itself is partial (consumption before the relay opened counts as normal).
  for (let d = s.disconnectedSince + 1; d <= asOf; d++) {
    const v = s.consumption[d - s.start];
    if (v !== undefined && v === v && v > t.disconnectedDailyTolerance) {
      total += v;
      days++;
    }
  }
  if (days === 0) return undefined;
  return {
    meterId: s.meterId,
    obis: s.obis,
    kind: 'disconnected_consumption',
    day: dayString(asOf),
    evidence: {
      disconnectedSince: dayString(s.disconnectedSince),
      daysWithConsumption: days,
      consumptionSinceDisconnection: total,
    },
  };
}
