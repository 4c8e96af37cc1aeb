/**
 * Estimating a billing period without a real reading, as the utilities' notices describe it: from the
 * same period of the previous two years (their average), else from recent history. Pure: the caller
 * supplies the daily history (day → consumption of real rows: measured or customer).
 */
export interface EstimateOptions {
  /** Share of a period's days with real data for it to count as read (default 0.9). */
  minCoverage?: number;
  /** Days of recent history for the fallback (default 90), at least `minRecentDays` with data (30). */
  recentDays?: number;
  minRecentDays?: number;
}

export interface PeriodTotal {
  from: string;
  to: string;
  total: number;
  daysWithData: number;
}

export type Estimate =
  | {
      basis: 'same_period_prior_years';
      estimated: number;
      detail: { years: PeriodTotal[] };
    }
  | {
      basis: 'recent_history';
      estimated: number;
      detail: { from: string; to: string; dailyMean: number; daysWithData: number; reason: string };
    };

const DAY = 86_400_000;

export function dayNum(s: string): number {
  return Date.parse(`${s}T00:00:00Z`) / DAY;
}

export function dayStr(n: number): string {
  return new Date(n * DAY).toISOString().slice(0, 10);
}

/** Same calendar date `years` earlier (29 Feb → 28 Feb). */
export function shiftYears(day: string, years: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y + years, m, 0)).getUTCDate();
  return dayStr(Date.UTC(y + years, m - 1, Math.min(d, last)) / DAY);
}

/** Total of [from, to] from the days present, scaled to the full period; undefined under coverage. */
export function periodTotal(
  real: ReadonlyMap<string, number>,
  from: string,
  to: string,
  minCoverage: number,
): PeriodTotal | undefined {
  const a = dayNum(from);
  const b = dayNum(to);
  let sum = 0;
  let n = 0;
  for (let d = a; d <= b; d++) {
    const v = real.get(dayStr(d));
    if (v !== undefined) {
      sum += v;
      n++;
    }
  }
  const len = b - a + 1;
  if (n === 0 || n / len < minCoverage) return undefined;
  return { from, to, total: (sum * len) / n, daysWithData: n };
}

export function estimatePeriod(
  real: ReadonlyMap<string, number>,
  period: { from: string; to: string },
  options: EstimateOptions = {},
): Estimate | undefined {
  const cov = options.minCoverage ?? 0.9;
  const years: PeriodTotal[] = [];
  for (const back of [1, 2]) {
    const t = periodTotal(real, shiftYears(period.from, -back), shiftYears(period.to, -back), cov);
    if (t) years.push(t);
  }
  const len = dayNum(period.to) - dayNum(period.from) + 1;
  if (years.length) {
    // Prior periods may differ by a day (leap years): average per day, then over this period's length.
    const perDay =
      years.reduce((s, y) => s + y.total / (dayNum(y.to) - dayNum(y.from) + 1), 0) / years.length;
    return { basis: 'same_period_prior_years', estimated: perDay * len, detail: { years } };
  }
  const recentDays = options.recentDays ?? 90;
  const from = dayStr(dayNum(period.from) - recentDays);
  const to = dayStr(dayNum(period.from) - 1);
  let sum = 0;
  let n = 0;
  for (let d = dayNum(from); d <= dayNum(to); d++) {
    const v = real.get(dayStr(d));
    if (v !== undefined) {
      sum += v;
      n++;
    }
  }
  if (n < (options.minRecentDays ?? 30)) return undefined;
  return {
    basis: 'recent_history',
    estimated: (sum / n) * len,
    detail: {
      from,
      to,
      dailyMean: sum / n,
      daysWithData: n,
      reason: 'no complete same period in the previous two years',
    },
  };
}
