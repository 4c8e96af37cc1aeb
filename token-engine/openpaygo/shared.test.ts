import siphash from 'siphash';
import { describe, expect, it } from 'vitest';
import { TokenEngineError } from '../errors.js';
import {
  EXTENDED,
  fromRestrictedDigits,
  nextCount,
  openPaygoKeyFromHex,
  STANDARD,
  toRestrictedDigits,
} from './shared.js';

describe('SipHash-2-4 (the `siphash` package) against the SipHash paper', () => {
  // Aumasson & Bernstein, "SipHash: a fast short-input PRF" (2012), Appendix A: key 00 01 … 0f,
  // message 00 01 … 0e (15 bytes) → a129ca6149be45e5; and vectors.h of the reference code,
  // empty message → bytes 31 0e 0e dd 47 db 6f 72 (little-endian 726fdb47dd0e0e31).
  const key = openPaygoKeyFromHex('000102030405060708090a0b0c0d0e0f');
  it('reproduces the paper example and the empty-message vector', () => {
    const m = Uint8Array.from({ length: 15 }, (_, i) => i);
    expect(siphash.hash_hex(key, m)).toBe('a129ca6149be45e5');
    expect(siphash.hash_hex(key, new Uint8Array(0))).toBe('726fdb47dd0e0e31');
  });
});

describe('OpenPAYGO shared pieces', () => {
  it('refuses a key that is not 32 hex digits without echoing it', () => {
    expect(() => openPaygoKeyFromHex('abc')).toThrow(TokenEngineError);
    expect(() => openPaygoKeyFromHex('zz'.repeat(16))).toThrow(/32 hex digits/);
  });

  it('restricted digits: 2 bits per digit 1..4, both lengths, and back', () => {
    expect(toRestrictedDigits(0, STANDARD)).toBe('1'.repeat(15));
    expect(toRestrictedDigits(2 ** 30 - 1, STANDARD)).toBe('4'.repeat(15));
    expect(toRestrictedDigits(999_999_999_999, EXTENDED)).toHaveLength(20);
    expect(fromRestrictedDigits(toRestrictedDigits(123_456_789, STANDARD))).toBe(123_456_789);
    expect(fromRestrictedDigits(toRestrictedDigits(987_654_321_012, EXTENDED))).toBe(987_654_321_012);
    expect(fromRestrictedDigits('1250')).toBeNull();
  });

  it('ADD_TIME takes even counts, the other types odd ones', () => {
    expect([nextCount(1, 'ADD_TIME'), nextCount(2, 'ADD_TIME')]).toEqual([2, 4]);
    expect([nextCount(1, 'SET_TIME'), nextCount(2, 'DISABLE_PAYG'), nextCount(3, 'COUNTER_SYNC')]).toEqual([
      3, 3, 5,
    ]);
  });
});
