import type { ReadingQuery, ReadingRow } from '../readings/index.js';
import type { HourlyPoint } from './detect-night.js';
import type { HourlySource } from './scanner.js';

/** The part of the gateway's ReadingStore this needs (gateway/readings). */
export interface HourlyReadingsSource {
  readings(query: ReadingQuery): Promise<ReadingRow[]>;
}

/**
 * Hourly consumption derived from the stored register readings: the store buckets a register by its
 * newest value per hour, so an hour's consumption is the difference with the previous hour's value.
 * An hour whose neighbour bucket is missing yields nothing (no guess), and a drop (reset) yields
 * nothing either; the leak detector only needs the night minima.
 */
export class ReadingsHourlySource implements HourlySource {
  private readonly store: HourlyReadingsSource;

  constructor(options: { store: HourlyReadingsSource }) {
    this.store = options.store;
  }

  async hourly(q: { meterId: string; obis: string; from: Date; to: Date }): Promise<HourlyPoint[]> {
    const HOUR = 3_600_000;
    const rows = await this.store.readings({
      meterId: q.meterId,
      from: new Date(q.from.getTime() - HOUR),
      to: q.to,
      resolution: '1h',
    });
    const out: HourlyPoint[] = [];
    let prev: { t: number; v: number } | undefined;
    for (const r of [...rows].sort((a, b) => a.ts.getTime() - b.ts.getTime())) {
      const v = r.values[q.obis];
      if (v === undefined) continue;
      const t = r.ts.getTime();
      if (prev && t - prev.t === HOUR && v >= prev.v && t >= q.from.getTime()) {
        out.push({ at: new Date(t), consumption: v - prev.v });
      }
      prev = { t, v };
    }
    return out;
  }
}
