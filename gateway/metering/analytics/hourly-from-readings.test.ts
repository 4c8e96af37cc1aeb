import { describe, expect, it } from 'vitest';
import type { ReadingQuery, ReadingRow } from '../readings/index.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';
import { detectNightBaseLoad } from './detect-night.js';
import { ReadingsHourlySource } from './hourly-from-readings.js';

const W = '8-0:1.0.0';

/** Hourly buckets of a water register (newest value per hour), with a leak from `leakFrom` on. */
function buckets(hours: number, leakFrom: number): ReadingRow[] {
  const t0 = Date.UTC(2026, 10, 10);
  let v = 120;
  const rows: ReadingRow[] = [];
  for (let h = 0; h < hours; h++) {
    const hour = h % 24;
    v += (hour === 7 || hour === 20 ? 0.06 : hour >= 1 && hour <= 5 ? 0 : 0.01) + (h >= leakFrom ? 0.012 : 0);
    if (h === 30) continue; // a missing bucket
    rows.push({ ts: new Date(t0 + h * 3_600_000), values: { [W]: Math.round(v * 1000) / 1000 }, count: 4 });
  }
  return rows;
}

describe('ReadingsHourlySource', () => {
  it('derives hourly consumption from bucketed register readings, skipping gaps', async () => {
    const queries: ReadingQuery[] = [];
    const all = buckets(24 * 6, 24 * 2);
    const src = new ReadingsHourlySource({
      store: {
        async readings(q) {
          queries.push(q);
          return all.filter((r) => r.ts >= q.from && r.ts < q.to);
        },
      },
    });
    const from = new Date(Date.UTC(2026, 10, 10));
    const hours = await src.hourly({
      meterId: 'W1',
      obis: W,
      from,
      to: new Date(from.getTime() + 6 * 86_400_000),
    });
    expect(queries[0]).toMatchObject({ meterId: 'W1', resolution: '1h' });
    expect(hours.find((h) => h.at.getTime() === from.getTime() + 30 * 3_600_000)).toBeUndefined();
    expect(hours.find((h) => h.at.getTime() === from.getTime() + 31 * 3_600_000)).toBeUndefined();
    expect(hours.find((h) => h.at.getTime() === from.getTime() + 7 * 3_600_000)!.consumption).toBeCloseTo(
      0.06,
    );
    const leak = detectNightBaseLoad('W1', W, hours, DEFAULT_THRESHOLDS);
    expect(leak).toMatchObject({ kind: 'night_base_load', evidence: { nights: 4, since: '2026-11-12' } });
  });
});
