import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSeriesText } from './series-text.js';

describe('parseSeriesText', () => {
  it('places each day by its offset; unknown register values and omitted fields stay NaN / 0', () => {
    const s = parseSeriesText('3 1.5 100 101.5;0 2;5 0 n n;4 -0.25 7 6.75 2', 'M1', '1-0:1.8.0', 1000, 6);
    expect(s).toMatchObject({ meterId: 'M1', obis: '1-0:1.8.0', start: 1000 });
    expect([...s.consumption]).toEqual([2, NaN, NaN, 1.5, -0.25, 0]);
    expect([...s.first]).toEqual([NaN, NaN, NaN, 100, 7, NaN]);
    expect([...s.last]).toEqual([NaN, NaN, NaN, 101.5, 6.75, NaN]);
    expect([...s.resets!]).toEqual([0, 0, 0, 0, 2, 0]);
  });

  it('reads every float8 text exactly as Number() does (fast path and fallbacks)', () => {
    const tricky = [
      '0',
      '-0',
      '0.1',
      '0.30000000000000004',
      '123456789012345',
      '1234567890123456',
      '9007199254740993',
      '1e+21',
      '1.5e-05',
      '-2.5e-310',
      'NaN',
      'Infinity',
      '-Infinity',
      '0.000000000000000000000001',
      '1797693134862315.7',
      '30826.283',
      '-0.001',
      '5e-324',
    ];
    for (const t of tricky) {
      const s = parseSeriesText(`0 ${t} ${t} ${t}`, 'M', 'o', 0, 1);
      expect(Object.is(s.consumption[0], Number(t)), t).toBe(true);
      expect(Object.is(s.last[0], Number(t)), t).toBe(true);
    }
    fc.assert(
      fc.property(fc.double(), (x) => {
        // PostgreSQL's float8 output is the shortest round-trip text, as JavaScript's (but keeps -0).
        const t = Object.is(x, -0) ? '-0' : String(x);
        const s = parseSeriesText(`1 ${t} ${t}`, 'M', 'o', 0, 2);
        return Object.is(s.consumption[1], x) && Object.is(s.first[1], x);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 12 }), (m, k) => {
        const t = (m / 10 ** k).toFixed(k);
        return Object.is(parseSeriesText(`0 ${t}`, 'M', 'o', 0, 1).consumption[0], Number(t));
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a day offset outside the window, naming the meter', () => {
    expect(() => parseSeriesText('7 1', 'M9', 'o', 0, 5)).toThrow(/day offset 7 .*M9/);
    expect(() => parseSeriesText('-1 1', 'M9', 'o', 0, 5)).toThrow(/day offset -1/);
  });
});
