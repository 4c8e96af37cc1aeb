import { describe, expect, it } from 'vitest';
import { detectNightBaseLoad, type HourlyPoint } from './detect-night.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

/** Hourly water use (m³): morning and evening peaks, nothing at night, plus an optional leak. */
function water(nights: number, leakFromNight: number, leak: number): HourlyPoint[] {
  const out: HourlyPoint[] = [];
  const t0 = Date.UTC(2026, 10, 1);
  for (let h = 0; h < nights * 24; h++) {
    const hour = h % 24;
    const use = hour === 7 || hour === 20 ? 0.05 : hour >= 1 && hour <= 5 ? 0 : 0.01;
    out.push({
      at: new Date(t0 + h * 3_600_000),
      consumption: use + (Math.floor(h / 24) >= leakFromNight ? leak : 0),
    });
  }
  return out;
}

describe('night base load', () => {
  it('flags flow that never stops at night for several nights', () => {
    const a = detectNightBaseLoad('W1', '8-0:1.0.0', water(10, 6, 0.02), DEFAULT_THRESHOLDS);
    expect(a).toMatchObject({ kind: 'night_base_load', evidence: { nights: 4, since: '2026-11-07' } });
  });
  it('ignores a normal profile and a leak younger than the threshold', () => {
    expect(detectNightBaseLoad('W1', '8-0:1.0.0', water(10, 99, 0), DEFAULT_THRESHOLDS)).toBeUndefined();
    expect(detectNightBaseLoad('W1', '8-0:1.0.0', water(10, 8, 0.02), DEFAULT_THRESHOLDS)).toBeUndefined();
  });
});
