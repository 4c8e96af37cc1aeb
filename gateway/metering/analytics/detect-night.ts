import type { Thresholds } from './thresholds.js';
import type { DetectedAnomaly } from './types.js';

export interface HourlyPoint {
  /** Start of the hour. */
  at: Date;
  consumption: number;
}

export interface NightBaseLoadOptions {
  /** Local night hours checked (default 02:00–04:59). */
  nightHours?: number[];
  /** Offset of local time from UTC in minutes (Morocco: +60). */
  utcOffsetMinutes?: number;
}

/**
 * A leak shows as flow that never stops: the minimum hourly consumption of the quiet night hours
 * stays above a base level for several consecutive nights. Needs hourly data (interval readings);
 * daily rollups cannot show it, so the scan runs this only when an hourly source is configured.
 */
export function detectNightBaseLoad(
  meterId: string,
  obis: string,
  hours: HourlyPoint[],
  t: Thresholds,
  options: NightBaseLoadOptions = {},
): DetectedAnomaly | undefined {
  const nightHours = new Set(options.nightHours ?? [2, 3, 4]);
  const offset = (options.utcOffsetMinutes ?? 0) * 60_000;
  const minima = new Map<string, number>();
  for (const h of hours) {
    const local = new Date(h.at.getTime() + offset);
    if (!nightHours.has(local.getUTCHours())) continue;
    const night = local.toISOString().slice(0, 10);
    const m = minima.get(night);
    minima.set(night, m === undefined ? h.consumption : Math.min(m, h.consumption));
  }
  const nights = [...minima.keys()].sort();
  let run = 0;
  const runMinima: number[] = [];
  for (let i = nights.length - 1; i >= 0; i--) {
    const v = minima.get(nights[i]!)!;
    if (v < t.nightBaseLoad) break;
    run++;
    runMinima.push(v);
  }
  if (run < t.nightBaseLoadNights) return undefined;
  const last = nights[nights.length - 1]!;
  return {
    meterId,
    obis,
    kind: 'night_base_load',
    day: last,
    evidence: {
      nights: run,
      since: nights[nights.length - run],
      lowestNightMinimum: Math.min(...runMinima),
      threshold: t.nightBaseLoad,
    },
  };
}
