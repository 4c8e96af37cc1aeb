import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeToken,
  deriveDecoderKey,
  formatTokenDigits,
  generateCreditToken,
  MeterDecoder,
  parseTokenDigits,
} from './index.js';
import { MISTY_KEY } from './test-support.js';

const ARABIC = '٠١٢٣٤٥٦٧٨٩';
const PERSIAN = '۰۱۲۳۴۵۶۷۸۹';
const toScript = (digits: string, script: string): string =>
  [...digits].map((d) => script[Number(d)]!).join('');

describe('formatTokenDigits', () => {
  it('groups a 20-digit token 4-4-4-4-4', () => {
    expect(formatTokenDigits('12345678901234567890')).toBe('1234 5678 9012 3456 7890');
    expect(formatTokenDigits('12345678901234567890', { separator: '-' })).toBe('1234-5678-9012-3456-7890');
  });

  it('groups other lengths from the left and normalises typed forms', () => {
    expect(formatTokenDigits('588224011', { group: 3 })).toBe('588 224 011');
    expect(formatTokenDigits(`${toScript('1234', ARABIC)}-5678`)).toBe('1234 5678');
  });

  it('returns text that is not a token unchanged', () => {
    expect(formatTokenDigits('hello')).toBe('hello');
  });
});

describe('parseTokenDigits', () => {
  it('accepts spaces, dashes, Eastern Arabic and Persian digits and direction marks', () => {
    const cases = [
      '1234 5678 9012 3456 7890',
      '1234-5678-9012-3456-7890',
      ' 1234\u00a05678\u202f9012–3456\u20117890 ',
      toScript('12345678901234567890', ARABIC),
      `${toScript('1234', ARABIC)} ${toScript('5678', ARABIC)} 9012 ${toScript('3456', PERSIAN)} 7890`,
      `\u200f${toScript('1234', PERSIAN)}\u200e-5678-9012-3456-7890\u061c`,
    ];
    for (const c of cases)
      expect(parseTokenDigits(c, 20)).toEqual({ ok: true, digits: '12345678901234567890' });
  });

  it('refuses other characters naming the position, wrong lengths, non-strings and very long input', () => {
    expect(parseTokenDigits('1234 56x8')).toMatchObject({
      ok: false,
      reason: 'Format',
      message: expect.stringContaining('character 8'),
    });
    expect(parseTokenDigits('1234', 20)).toMatchObject({
      ok: false,
      message: expect.stringContaining('got 4'),
    });
    expect(parseTokenDigits('123456789', [9, 12, 15])).toMatchObject({ ok: true });
    expect(parseTokenDigits('1234567890', [9, 12, 15])).toMatchObject({
      ok: false,
      message: expect.stringContaining('9 or 12 or 15'),
    });
    expect(parseTokenDigits(12345)).toMatchObject({ ok: false, reason: 'Format' });
    expect(parseTokenDigits(' - ')).toMatchObject({ ok: false, message: 'token has no digits' });
    expect(parseTokenDigits('1'.repeat(65))).toMatchObject({ ok: false, reason: 'Format' });
    expect(parseTokenDigits('１２３')).toMatchObject({ ok: false }); // full-width digits are not a keypad's
  });

  it('format then parse gives the digits back (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{1,40}$/), fc.integer({ min: 1, max: 8 }), (digits, group) => {
        const shown = formatTokenDigits(digits, { group });
        expect(parseTokenDigits(shown)).toEqual({ ok: true, digits });
        expect(parseTokenDigits(toScript(digits, ARABIC))).toEqual({ ok: true, digits });
      }),
    );
  });
});

describe('typed tokens at the decoder', () => {
  const dk = deriveDecoderKey(MISTY_KEY);
  const token = generateCreditToken({ decoderKey: dk, ea: '11', rnd: 1, subclass: 0, units: 7, tid: 900 });

  it('decodes a token typed in Eastern Arabic digits with dashes', () => {
    const typed = formatTokenDigits(token, { separator: '-' }).replace(/\d/g, (d) => ARABIC[Number(d)]!);
    const d = decodeToken(typed, { decoderKey: dk, ea: '11' });
    expect(d).toMatchObject({ ok: true, crcOk: true, amount: 7, tid: 900 });
  });

  it('a meter accepts the Persian-digit form once and refuses its ASCII form as Used', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY });
    const now = new Date('2030-01-01T00:00:00Z');
    expect(m.enter(toScript(token, PERSIAN), now)).toMatchObject({ ok: true, units: 7 });
    expect(m.enter(formatTokenDigits(token), now)).toMatchObject({ ok: false, reason: 'Used' });
  });
});
