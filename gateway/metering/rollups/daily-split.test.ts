import { describe, expect, it } from 'vitest';
import { foldPoints, registerDelta, splitAcrossDays } from './daily-split.js';

const t = (iso: string) => Date.parse(iso);

describe('daily consumption arithmetic', () => {
  it('splits a delta across UTC days pro rata by time', () => {
    expect(splitAcrossDays(t('2026-03-01T18:00:00Z'), t('2026-03-03T06:00:00Z'), 36)).toEqual([
      { day: '2026-03-01', amount: 6 },
      { day: '2026-03-02', amount: 24 },
      { day: '2026-03-03', amount: 6 },
    ]);
    expect(splitAcrossDays(t('2026-03-01T01:00:00Z'), t('2026-03-01T02:00:00Z'), 2)).toEqual([
      { day: '2026-03-01', amount: 2 },
    ]);
  });

  it('treats a negative delta as a reset: nothing booked, flagged, counting resumes', () => {
    expect(registerDelta(10, 12)).toEqual({ delta: 2, reset: false });
    expect(registerDelta(99_999.9, 0.4)).toEqual({ delta: 0, reset: true });
    const days = foldPoints([
      { ts: t('2026-03-01T00:00:00Z'), value: 99_999 },
      { ts: t('2026-03-01T01:00:00Z'), value: 3 },
      { ts: t('2026-03-01T02:00:00Z'), value: 5 },
    ]);
    expect(days.get('2026-03-01')).toEqual({
      consumption: 2,
      firstValue: 99_999,
      lastValue: 5,
      samples: 3,
      resets: 1,
    });
  });

  it('continues from a previous point and clips to the kept days', () => {
    const days = foldPoints(
      [{ ts: t('2026-03-03T00:00:00Z'), value: 148 }],
      { ts: t('2026-03-01T00:00:00Z'), value: 100 },
      (d) => d >= '2026-03-02',
    );
    expect(Object.fromEntries(days)).toEqual({
      '2026-03-02': { consumption: 24, firstValue: null, lastValue: null, samples: 0, resets: 0 },
      '2026-03-03': { consumption: 0, firstValue: 148, lastValue: 148, samples: 1, resets: 0 },
    });
  });
});
