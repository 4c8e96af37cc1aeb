import { describe, expect, it } from 'vitest';
import { parseIsoDateTime } from './iso-time.js';

// The UTC forms (`…SSZ`, `…SS.sssZ`) take a character-by-character path; everything else the
// general one. Both must give the same answers: the oracle here is Date.UTC and Date#toISOString,
// not the parser under test.
describe('parseIsoDateTime', () => {
  it('reads back what Date#toISOString writes, to the millisecond', () => {
    let x = 0x2545f491;
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31; // deterministic spread over 1970..2100
      const ms = Math.floor((x / 2 ** 31) * Date.UTC(2100, 0, 1));
      const text = new Date(ms).toISOString();
      expect(parseIsoDateTime(text)).toBe(ms);
      expect(parseIsoDateTime(text.replace(/\.\d{3}Z$/, 'Z'))).toBe(Math.floor(ms / 1000) * 1000);
    }
  });

  it('knows the calendar: month lengths, leap years, the last second of a day', () => {
    expect(parseIsoDateTime('2024-02-29T12:00:00.000Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseIsoDateTime('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseIsoDateTime('2026-12-31T23:59:59.999Z')).toBe(Date.UTC(2026, 11, 31, 23, 59, 59, 999));
    for (const bad of [
      '2026-02-29T00:00:00.000Z', // not a leap year
      '2100-02-29T00:00:00Z', // a century, not divisible by 400
      '2026-04-31T00:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-00-10T00:00:00.000Z',
      '2026-01-00T00:00:00.000Z',
      '2026-01-01T24:00:00.000Z',
      '2026-01-01T23:60:00.000Z',
      '2026-01-01T23:59:60.000Z', // leap seconds are refused
      '2026-01-01T23:59:5x.000Z',
      '2026-01-01T23:59:59.0a0Z',
      '2026-01-01 23:59:59.000Z',
      '2026/01/01T23:59:59.000Z',
      '2026-01-01T23:59:59.000',
      '2026-01-01T23:59:59.000X',
    ]) {
      expect(parseIsoDateTime(bad), bad).toBeUndefined();
    }
  });

  it('still takes offsets, other fractions, lower-case letters and early years (the general path)', () => {
    expect(parseIsoDateTime('2026-03-01T01:30:00+01:00')).toBe(Date.UTC(2026, 2, 1, 0, 30));
    expect(parseIsoDateTime('2026-03-01T00:30:00.5Z')).toBe(Date.UTC(2026, 2, 1, 0, 30, 0, 500));
    expect(parseIsoDateTime('2026-03-01t00:30:00z')).toBe(Date.UTC(2026, 2, 1, 0, 30));
    expect(parseIsoDateTime('1969-12-31T23:59:59.000Z')).toBe(-1000);
    expect(parseIsoDateTime('2026-02-29T01:00:00+01:00')).toBeUndefined();
  });
});
