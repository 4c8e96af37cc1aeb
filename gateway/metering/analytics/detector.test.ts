import { describe, expect, it } from 'vitest';
import { DetectionScore } from './dataset/evaluate.js';
import { generateMeter } from './dataset/load-model.js';
import { dayNumber } from './days.js';
import { detectMeter } from './detector.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';
import type { MeterSeries } from './types.js';

const ASOF = dayNumber('2026-11-20');
const CONFIG = { byClass: { commercial: { minDifference: 60 } } };

/** A flat meter: `perDay` every day for `days` days ending at ASOF, register advancing. */
function flat(perDay: number, days = 730, edit?: (c: Float64Array) => void): MeterSeries {
  const consumption = new Float64Array(days).fill(perDay);
  edit?.(consumption);
  const first = new Float64Array(days);
  const last = new Float64Array(days);
  let idx = 100;
  for (let i = 0; i < days; i++) {
    first[i] = idx;
    idx += consumption[i]!;
    last[i] = idx;
  }
  return { meterId: 'T1', obis: '1-0:1.8.0', start: ASOF - days + 1, consumption, first, last };
}

describe('detectMeter on ground truth', () => {
  it('finds injected anomalies in 3,000 generated meters with precision and recall ≥ 0.95', () => {
    const score = new DetectionScore();
    for (let i = 0; i < 3000; i++) {
      const g = generateMeter(i, { seed: 2026, asOf: ASOF });
      score.add(
        g.series.meterId,
        g.truth,
        detectMeter(g.series, ASOF, CONFIG).map((d) => d.kind),
      );
    }
    expect(score.truePositives).toBeGreaterThan(250);
    expect(score.precision).toBeGreaterThanOrEqual(0.95);
    expect(score.recall).toBeGreaterThanOrEqual(0.95);
    for (const kind of [
      'high_consumption',
      'zero_consumption',
      'register_backwards',
      'disconnected_consumption',
    ] as const) {
      expect(score.byKind.get(kind)?.tp ?? 0).toBeGreaterThan(0);
    }
  });
});

describe('detectMeter cases', () => {
  it('compares with the same weekdays 364 days back and keeps both windows as evidence', () => {
    const s = flat(10, 730, (c) => c.fill(25, 730 - 7));
    const [a] = detectMeter(s, ASOF);
    expect(a?.kind).toBe('high_consumption');
    const w = (
      a!.evidence.windows as {
        window: string;
        basis: string;
        current: { from: string; total: number };
        reference: { from: string; total: number };
      }[]
    )[0]!;
    expect(w).toMatchObject({
      window: 'rolling',
      basis: 'prior_year',
      current: { from: '2026-11-14', total: 175 },
      reference: { from: '2025-11-15', total: 70 },
    });
    expect(new Date(w.current.from).getUTCDay()).toBe(new Date(w.reference.from).getUTCDay());
  });

  it('needs both the ratio and the absolute difference', () => {
    // 3× but only +1.4 kWh a week: below minDifference.
    expect(
      detectMeter(
        flat(0.1, 730, (c) => c.fill(0.3, 730 - 7)),
        ASOF,
      ),
    ).toEqual([]);
    // +35 kWh but only ×1.1.
    expect(
      detectMeter(
        flat(50, 730, (c) => c.fill(55, 730 - 7)),
        ASOF,
      ),
    ).toEqual([]);
    // Per-class thresholds: the same meter passes as residential, not as commercial with a higher floor.
    const s = { ...flat(10, 730, (c) => c.fill(25, 730 - 7)), meterClass: 'commercial' };
    expect(detectMeter(s, ASOF, { byClass: { commercial: { minDifference: 200 } } })).toEqual([]);
  });

  it('without a prior year compares with recent weeks and says so', () => {
    const [a] = detectMeter(
      flat(10, 120, (c) => c.fill(30, 120 - 7)),
      ASOF,
    );
    expect(a?.kind).toBe('high_consumption');
    expect(a!.evidence.comparedWith).toBe('recent_history');
    expect(String(a!.evidence.note)).toMatch(/no consumption recorded one year earlier/);
  });

  it('does not trust a prior-year window spent away (absence) and falls back', () => {
    const s = flat(10, 730, (c) => c.fill(2, 730 - 364 - 10, 730 - 364 + 1));
    expect(detectMeter(s, ASOF)).toEqual([]);
  });

  it('flags N zero days but not on a disconnected prepaid meter', () => {
    const s = flat(8, 730, (c) => c.fill(0, 730 - DEFAULT_THRESHOLDS.zeroDays));
    const [z] = detectMeter(s, ASOF);
    expect(z).toMatchObject({ kind: 'zero_consumption', evidence: { zeroDays: 7, since: '2026-11-14' } });
    expect(
      detectMeter(
        flat(8, 730, (c) => c.fill(0, 730 - 6)),
        ASOF,
      ),
    ).toEqual([]);
    expect(detectMeter({ ...s, disconnectedSince: ASOF - 7 }, ASOF)).toEqual([]);
  });

  it('flags consumption after the relay opened', () => {
    const [d] = detectMeter({ ...flat(8), disconnectedSince: ASOF - 4 }, ASOF);
    expect(d).toMatchObject({
      kind: 'disconnected_consumption',
      evidence: { daysWithConsumption: 4, consumptionSinceDisconnection: 32 },
    });
  });

  it('flags a register going backwards, across a missing day too', () => {
    const s = flat(8);
    s.first[728] = s.last[726]! - 50;
    s.last[728] = s.first[728]! + 8;
    s.consumption[727] = NaN;
    s.first[727] = NaN;
    s.last[727] = NaN;
    const [b] = detectMeter(s, ASOF);
    expect(b).toMatchObject({ kind: 'register_backwards', day: '2026-11-19' });
    expect(b!.evidence.drop).toBeCloseTo(50);
    const r = flat(8);
    r.resets = new Int32Array(730);
    r.resets[729] = 1;
    expect(detectMeter(r, ASOF).map((x) => x.kind)).toEqual(['register_backwards']);
  });
});
