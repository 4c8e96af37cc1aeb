/**
 * Pure consumption arithmetic: a cumulative register sampled at irregular instants becomes daily
 * consumption by splitting each delta between consecutive samples across the UTC days the interval
 * covers, pro rata by time (so a 3-day gap spreads its delta over the 3 days instead of booking it
 * all on the day the meter came back).
 */
export interface RegisterPoint {
  /** epoch milliseconds */
  ts: number;
  value: number;
}

export interface DayAccumulator {
  consumption: number;
  firstValue: number | null;
  lastValue: number | null;
  samples: number;
  resets: number;
}

export const DAY_MS = 86_400_000;

export function dayOf(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

export function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

function acc(map: Map<string, DayAccumulator>, day: string): DayAccumulator {
  let a = map.get(day);
  if (!a) {
    a = { consumption: 0, firstValue: null, lastValue: null, samples: 0, resets: 0 };
    map.set(day, a);
  }
  return a;
}

/**
 * Register delta between two samples. A negative delta is a register reset, rollover or meter
 * replacement: the true consumption across it is unknown, so the interval books nothing, the day is
 * flagged (`reset: true`) and counting continues from the new value.
 */
export function registerDelta(from: number, to: number): { delta: number; reset: boolean } {
  const d = to - from;
  return d < 0 ? { delta: 0, reset: true } : { delta: d, reset: false };
}

/** Split `delta` over (t0, t1] by UTC day, pro rata by time. */
export function splitAcrossDays(
  t0: number,
  t1: number,
  delta: number,
): Array<{ day: string; amount: number }> {
  if (t1 <= t0) return [{ day: dayOf(t1), amount: delta }];
  const out: Array<{ day: string; amount: number }> = [];
  let cursor = t0;
  const total = t1 - t0;
  while (cursor < t1) {
    const start = Math.floor(cursor / DAY_MS) * DAY_MS;
    const end = Math.min(start + DAY_MS, t1);
    out.push({ day: dayOf(start), amount: (delta * (end - cursor)) / total });
    cursor = end;
  }
  return out;
}

function dayName(names: Map<number, string>, dayNumber: number): string {
  let n = names.get(dayNumber);
  if (n === undefined) names.set(dayNumber, (n = dayOf(dayNumber * DAY_MS)));
  return n;
}

/**
 * Fold consecutive points (sorted by ts, distinct ts) into per-day accumulators. `previous`, when
 * given, is the newest point already folded in before `points[0]` (its sample is not counted again).
 * `keep` restricts which days are produced (recomputing a window clips the edge intervals).
 */
export function foldPoints(
  points: readonly RegisterPoint[],
  previous?: RegisterPoint,
  keep?: (day: string) => boolean,
): Map<string, DayAccumulator> {
  // Hot path (every ingest batch): days are keyed by their integer number and named once each.
  // No closures here: under tsx (esbuild keepNames) each named closure costs a defineProperty.
  const names = new Map<number, string>();
  const days = new Map<string, DayAccumulator>();
  let prev = previous;
  for (const p of points) {
    const dn = Math.floor(p.ts / DAY_MS);
    const day = dayName(names, dn);
    const inWindow = !keep || keep(day);
    if (inWindow) {
      const a = acc(days, day);
      if (a.firstValue === null) a.firstValue = p.value;
      a.lastValue = p.value;
      a.samples++;
    }
    if (prev) {
      const { delta, reset } = registerDelta(prev.value, p.value);
      if (reset && inWindow) acc(days, day).resets++;
      if (delta > 0) {
        if (Math.floor(prev.ts / DAY_MS) === dn) {
          if (inWindow) acc(days, day).consumption += delta;
        } else {
          for (const part of splitAcrossDays(prev.ts, p.ts, delta)) {
            if (!keep || keep(part.day)) acc(days, part.day).consumption += part.amount;
          }
        }
      }
    }
    prev = p;
  }
  return days;
}

/** Every day from `from` to `to` inclusive (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = dayStart(from); t <= dayStart(to); t += DAY_MS) out.push(dayOf(t));
  return out;
}
