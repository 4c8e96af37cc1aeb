import type { RollupStore } from '../../gateway/index.js';
import { dailyHistory, type Anomaly, type ProfileKind } from '../../simulators/index.js';

const DAY_MS = 86_400_000;
const ENERGY_IMPORT = '1-0:1.8.0';
export const HISTORY_DAYS = 730;

export interface BackfillOptions {
  now?: number;
  /** Aborting stops between two meters; the meters written so far stay. */
  signal?: AbortSignal;
  /** Called after each meter (written or already present). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Two years of daily consumption per meter from the simulators' load model, so the prior-year
 * comparison has something to compare with on the very first start. Every tenth meter gets a
 * consumption jump over the last ten days, so the anomaly views are not empty. Skips meters that
 * already have history (a restart of the same data directory). One meter at a time, generated just
 * before it is written, so memory holds one meter's 730 rows, never the fleet's.
 */
export async function backfillHistory(
  rollups: RollupStore,
  meters: ReadonlyArray<{ id: string; profile: ProfileKind }>,
  seed: string,
  options: BackfillOptions = {},
): Promise<{ meters: number; days: number; withAnomaly: string[] }> {
  const now = options.now ?? Date.now();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const from = new Date(today - HISTORY_DAYS * DAY_MS).toISOString().slice(0, 10);
  const to = new Date(today - DAY_MS).toISOString().slice(0, 10);
  let filled = 0;
  const withAnomaly: string[] = [];
  for (const [i, meter] of meters.entries()) {
    if (options.signal?.aborted) break;
    const existing = await rollups.dailySeries({ meterId: meter.id, obis: ENERGY_IMPORT, from, to });
    if (existing.length === 0) {
      const anomalies: Anomaly[] = [];
      if (i % 10 === 9) {
        anomalies.push({ kind: 'jump', from: today - 10 * DAY_MS, factor: 2.5 });
        withAnomaly.push(meter.id);
      }
      const rows = [];
      for (const d of dailyHistory({
        meterId: meter.id,
        seed,
        profile: meter.profile,
        from,
        to,
        anomalies,
        // The live simulated meter starts now at its seeded register: the history ends on it, so the
        // index the meter page shows is the one the backfilled days lead to (self-readings accepted).
        anchor: { t: now },
      })) {
        rows.push({
          meterId: meter.id,
          obis: ENERGY_IMPORT,
          day: d.date,
          consumption: Math.round(d.kwh * 1000) / 1000,
          quality: 'measured' as const,
          lastValue: Math.round(d.registerKwh * 1000) / 1000,
        });
      }
      await rollups.upsertDaily(rows);
      filled++;
    }
    options.onProgress?.(i + 1, meters.length);
  }
  return { meters: filled, days: HISTORY_DAYS, withAnomaly };
}
