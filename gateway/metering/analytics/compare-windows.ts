import { dayString, WEEKDAY_ALIGNED_YEAR } from './days.js';
import type { Thresholds } from './thresholds.js';
import type { MeterSeries, WindowComparison, WindowTotal } from './types.js';

/** Weeks of recent history used when there is no (usable) prior year: 8 whole weeks. */
export const RECENT_HISTORY_DAYS = 56;

/**
 * Total over [from, to] (day numbers, inclusive) from the days present, scaled to the full window
 * so a missing day or two does not look like a drop; undefined below the coverage threshold.
 */
export function windowTotal(
  s: MeterSeries,
  from: number,
  to: number,
  minCoverage: number,
): WindowTotal | undefined {
  const len = to - from + 1;
  let sum = 0;
  let n = 0;
  const a = Math.max(from - s.start, 0);
  const b = Math.min(to - s.start, s.consumption.length - 1);
  for (let i = a; i <= b; i++) {
    const v = s.consumption[i]!;
    if (v === v) {
      sum += v;
      n++;
    }
  }
  if (len <= 0 || n === 0 || n / len < minCoverage) return undefined;
  return { from: dayString(from), to: dayString(to), total: (sum * len) / n, daysWithData: n };
}

/**
 * Reference from the 8 weeks before `from`: the median weekly total (robust to one week of absence
 * or to the first days of an anomaly), expressed over a window of `len` days.
 */
function recentReference(s: MeterSeries, from: number, len: number, t: Thresholds): WindowTotal | undefined {
  const weeks: number[] = [];
  let days = 0;
  for (let w = 1; w * 7 <= RECENT_HISTORY_DAYS; w++) {
    const wk = windowTotal(s, from - w * 7, from - w * 7 + 6, t.minCoverage);
    if (wk) {
      weeks.push(wk.total);
      days += wk.daysWithData;
    }
  }
  if (weeks.length < 4) return undefined;
  weeks.sort((a, b) => a - b);
  const mid = weeks.length >> 1;
  const median = weeks.length % 2 ? weeks[mid]! : (weeks[mid - 1]! + weeks[mid]!) / 2;
  return {
    from: dayString(from - RECENT_HISTORY_DAYS),
    to: dayString(from - 1),
    total: (median / 7) * len,
    daysWithData: days,
  };
}

/**
 * Compare [from, to] with the same weekdays one year earlier (364 days back). When the meter has no
 * prior year, or the prior-year window is unrepresentative (far below its own surrounding weeks:
 * an absence or an outage then), fall back to the weeks just before the window and say so.
 */
export function compareWindow(
  s: MeterSeries,
  from: number,
  to: number,
  window: WindowComparison['window'],
  t: Thresholds,
): WindowComparison | undefined {
  const current = windowTotal(s, from, to, t.minCoverage);
  if (!current) return undefined;
  const len = to - from + 1;
  let reference: WindowTotal | undefined;
  let basis: WindowComparison['basis'] = 'prior_year';
  let basisReason: WindowComparison['basisReason'];
  const prior = windowTotal(s, from - WEEKDAY_ALIGNED_YEAR, to - WEEKDAY_ALIGNED_YEAR, t.minCoverage);
  if (prior) {
    const around = recentReference(s, from - WEEKDAY_ALIGNED_YEAR, len, t);
    if (around && prior.total < t.representativeShare * around.total)
      basisReason = 'prior_year_unrepresentative';
    else reference = prior;
  } else basisReason = 'no_prior_year';
  if (!reference) {
    reference = recentReference(s, from, len, t);
    basis = 'recent_history';
    if (!reference) return undefined;
  }
  const ratio = reference.total > 0 ? current.total / reference.total : current.total > 0 ? Infinity : 1;
  return {
    window,
    current,
    reference,
    basis,
    ...(basisReason ? { basisReason } : {}),
    ratio,
    difference: current.total - reference.total,
  };
}

/** Both thresholds must pass; the difference threshold is per rolling window, scaled to `len` days. */
export function isAbnormallyHigh(c: WindowComparison, t: Thresholds): boolean {
  const len = Math.round((Date.parse(c.current.to) - Date.parse(c.current.from)) / 86_400_000) + 1;
  return c.ratio >= t.ratio && c.difference >= (t.minDifference * len) / t.windowDays;
}
