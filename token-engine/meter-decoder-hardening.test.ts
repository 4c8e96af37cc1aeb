import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  deriveDecoderKey,
  generateCreditToken,
  generateKeyChangeTokens,
  generateTestToken,
  MeterDecoder,
  type MeterKey,
} from './index.js';
import { MISTY_KEY } from './test-support.js';

/**
 * Issue 21 points 5 and 6: the keypad sequences of the attack campaign that bypassed the lockout
 * and assembled a key from two different key change sets. Each test fails on the code before the
 * fix (failure count reset after the CRC check; pending sections replaced one by one).
 */
const NOW = new Date('2030-06-01T12:00:00Z');
const dk = deriveDecoderKey(MISTY_KEY);
const credit = (tid: number, units = 1): string =>
  generateCreditToken({ decoderKey: dk, ea: '11', rnd: 3, subclass: 0, units, tid });
const guess = (i: number): string => `1234567890123456${String(1000 + i)}`;
const keySet = (patch: Partial<MeterKey>): { key: Uint8Array; tokens: string[] } => {
  const next = { ...MISTY_KEY, ...patch };
  const key = deriveDecoderKey(next);
  const tokens = generateKeyChangeTokens({
    currentDecoderKey: dk,
    ea: '11',
    newDecoderKey: key,
    ken: next.ken,
    krn: next.krn,
    ti: next.ti,
    kt: next.kt,
    ro: 0,
    sgc: next.sgc,
  });
  return { key, tokens };
};

describe('keypad lockout (issue 21.5)', () => {
  it('replaying a used token between guesses does not reset the failure count', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY, lockoutAfter: 3, lockoutMinutes: 15 });
    const used = credit(500);
    expect(m.enter(used, NOW).ok).toBe(true);
    // guess, replay, guess, replay, guess: three bad guesses, the replays are refused as Used.
    expect(m.enter(guess(1), NOW)).toMatchObject({ ok: false, reason: 'CRC' });
    expect(m.enter(used, NOW)).toMatchObject({ ok: false, reason: 'Used' });
    expect(m.enter(guess(2), NOW)).toMatchObject({ ok: false, reason: 'CRC' });
    expect(m.enter(used, NOW)).toMatchObject({ ok: false, reason: 'Used' });
    expect(m.enter(guess(3), NOW)).toMatchObject({ ok: false, reason: 'CRC' });
    expect(m.enter(credit(501), NOW)).toMatchObject({ ok: false, reason: 'Lockout' });
    expect(m.snapshot().failures).toBe(3);
  });

  it('an Old token between guesses does not reset it either', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY, lockoutAfter: 2 });
    for (let tid = 1000; tid < 1050; tid++) expect(m.enter(credit(tid), NOW).ok).toBe(true);
    expect(m.enter(guess(1), NOW).ok).toBe(false);
    expect(m.enter(credit(10), NOW)).toMatchObject({ ok: false, reason: 'Old' });
    expect(m.enter(guess(2), NOW).ok).toBe(false);
    expect(m.enter(credit(2000), NOW)).toMatchObject({ ok: false, reason: 'Lockout' });
  });

  it('a class 1 test token (sent in clear, anyone can make one) does not reset it', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY, lockoutAfter: 2 });
    const test = generateTestToken({ subclass: 1, mfrCode: 1, control: 1 });
    expect(m.enter(guess(1), NOW).ok).toBe(false);
    expect(m.enter(test, NOW)).toMatchObject({ ok: true, kind: 'test' });
    expect(m.enter(guess(2), NOW).ok).toBe(false);
    expect(m.enter(credit(2000), NOW)).toMatchObject({ ok: false, reason: 'Lockout' });
  });

  it('a token the meter accepts still clears the count', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY, lockoutAfter: 2 });
    expect(m.enter(guess(1), NOW).ok).toBe(false);
    expect(m.enter(credit(700), NOW).ok).toBe(true);
    expect(m.enter(guess(2), NOW).ok).toBe(false);
    expect(m.enter(credit(701), NOW).ok).toBe(true);
  });
});

describe('key change sets (issue 21.6)', () => {
  const a = keySet({ ti: 7, krn: 2, sgc: '654321' });
  const b = keySet({ ti: 8, krn: 3, sgc: '111111' });
  const [a1, a2, a3, a4] = a.tokens as [string, string, string, string];
  const [b1, b2, b3, b4] = b.tokens as [string, string, string, string];

  it('refuses a section of another set and never installs a mixed key', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY });
    expect(m.enter(a1, NOW)).toMatchObject({ ok: true, kind: 'keyChangeSection' });
    expect(m.enter(a3, NOW)).toMatchObject({ ok: true, kind: 'keyChangeSection' });
    expect(m.enter(a4, NOW)).toMatchObject({ ok: true, missingSections: [4] });
    // The campaign's sequence: B's first section replaced A's, then B's second completed a key
    // made of B1 ‖ A3 ‖ A4 ‖ B2 that no vending system holds.
    expect(m.enter(b1, NOW)).toMatchObject({ ok: false, reason: 'KeySet' });
    expect(m.enter(b2, NOW)).toMatchObject({
      ok: true,
      kind: 'keyChangeSection',
      missingSections: [3, 8, 9],
    });
    expect(m.snapshot().decoderKeyHex).toBe(bytesToHex(dk));
    // The whole of B afterwards installs B.
    expect(m.enter(b1, NOW)).toMatchObject({ ok: true, kind: 'keyChangeSection' });
    expect(m.enter(b3, NOW)).toMatchObject({ ok: true, kind: 'keyChangeSection' });
    expect(m.enter(b4, NOW)).toMatchObject({ ok: true, kind: 'keyChange' });
    expect(m.snapshot().decoderKeyHex).toBe(bytesToHex(b.key));
    expect(m.keyInfo).toMatchObject({ krn: 3, ti: 8, sgc: '111111' });
  });

  it('drops a partial set that was not completed within the window of tokens', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY, keyChangeWindow: 6 });
    expect(m.enter(a1, NOW).ok).toBe(true);
    expect(m.enter(a3, NOW).ok).toBe(true);
    expect(m.enter(a4, NOW).ok).toBe(true);
    for (let tid = 10; tid < 14; tid++) expect(m.enter(credit(tid), NOW).ok).toBe(true);
    // Seven valid entries since A1: A1..A4 cannot complete any more; A2 starts a new set.
    expect(m.enter(a2, NOW)).toMatchObject({
      ok: true,
      kind: 'keyChangeSection',
      missingSections: [3, 8, 9],
    });
    expect(m.snapshot().decoderKeyHex).toBe(bytesToHex(dk));
  });

  it('still completes a set with a few other tokens in between (inside the window)', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY });
    expect(m.enter(a1, NOW).ok).toBe(true);
    expect(m.enter(credit(20), NOW).ok).toBe(true);
    expect(m.enter(a2, NOW).ok).toBe(true);
    expect(m.enter(a3, NOW).ok).toBe(true);
    expect(m.enter(a4, NOW)).toMatchObject({ ok: true, kind: 'keyChange' });
    expect(m.snapshot().decoderKeyHex).toBe(bytesToHex(a.key));
  });

  it('keeps the window across snapshot and restore', () => {
    const m = new MeterDecoder({ meterKey: MISTY_KEY, keyChangeWindow: 4 });
    expect(m.enter(a1, NOW).ok).toBe(true);
    const r = new MeterDecoder({ meterKey: MISTY_KEY, keyChangeWindow: 4 });
    r.restore(JSON.parse(JSON.stringify(m.snapshot())));
    for (let tid = 30; tid < 33; tid++) expect(r.enter(credit(tid), NOW).ok).toBe(true);
    expect(r.enter(a2, NOW)).toMatchObject({ ok: true, missingSections: [3, 8, 9] });
  });
});
