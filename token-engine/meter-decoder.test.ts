import { describe, expect, it } from 'vitest';
import {
  deriveDecoderKey,
  bytesToHex,
  generateCreditToken,
  generateKeyChangeTokens,
  generateManagementToken,
  generateTestStaTables,
  generateTestToken,
  MeterDecoder,
  TokenEngineError,
  type MeterKey,
} from './index.js';
import { buildToken } from './block.js';
import { prepareCipher } from './cipher.js';
import { MISTY_KEY, STA_KEY, tokenVectors } from './test-support.js';

const NOW = new Date('2030-06-01T12:00:00Z');
const dk = deriveDecoderKey(MISTY_KEY);
const base = { decoderKey: dk, ea: '11' as const, rnd: 3 };
const credit = (tid: number, units = 10, subclass: 0 | 1 | 2 = 0): string =>
  generateCreditToken({ ...base, subclass, units, tid });
const mgmt = (subclass: 0 | 1 | 2 | 5 | 6 | 7, value: number, tid: number): string =>
  generateManagementToken({ ...base, subclass, value, tid });
const meter = (opts: Partial<ConstructorParameters<typeof MeterDecoder>[0]> = {}): MeterDecoder =>
  new MeterDecoder({ meterKey: MISTY_KEY, ...opts });

describe('MeterDecoder credit and TID memory', () => {
  it('adds credit to the right register and refuses the same token again (Used)', () => {
    const m = meter();
    expect(m.enter(credit(1000, 12.5), NOW)).toMatchObject({
      ok: true,
      kind: 'credit',
      units: 12.5,
      register: 'electricity',
    });
    expect(m.enter(credit(1001, 3, 1), NOW)).toMatchObject({ ok: true, register: 'water', units: 3 });
    expect(m.enter(credit(1002, 0.1, 2), NOW)).toMatchObject({ ok: true, register: 'gas', units: 0.1 });
    expect(m.credit).toBe(12.5);
    expect(m.registers).toEqual({ electricity: 12.5, water: 3, gas: 0.1 });
    expect(m.enter(credit(1000, 12.5), NOW)).toMatchObject({ ok: false, reason: 'Used' });
    expect(m.consume(20)).toBe(12.5);
    expect(m.credit).toBe(0);
  });

  it('remembers the 50 most recent TIDs and refuses older ones (Old) once full', () => {
    const m = meter();
    expect(m.enter(credit(500), NOW).ok).toBe(true);
    expect(m.enter(credit(400), NOW).ok).toBe(true); // memory not full: an older token is still fine
    for (let tid = 1000; tid < 1050; tid++) expect(m.enter(credit(tid, 1), NOW).ok).toBe(true);
    expect(m.tidMemory.length).toBe(50);
    expect(m.tidMemory[0]).toBe(1000);
    expect(m.enter(credit(999), NOW)).toMatchObject({ ok: false, reason: 'Old' });
    expect(m.enter(credit(1049), NOW)).toMatchObject({ ok: false, reason: 'Used' });
    expect(m.enter(credit(2000), NOW).ok).toBe(true);
    expect(m.tidMemory[0]).toBe(1001);
  });

  it('refuses tokens past the key expiry number (KeyExpired)', () => {
    const m = meter({ meterKey: { ...MISTY_KEY, ken: 1 } });
    expect(m.enter(credit(2 * 65536), NOW)).toMatchObject({ ok: false, reason: 'KeyExpired' });
    expect(m.enter(credit(2 * 65536 - 1), NOW).ok).toBe(true);
  });

  it('refuses credit on a default key (DDTK) and everything but key changes on an initialisation key (KeyType)', () => {
    const ddtk = meter({ meterKey: { ...MISTY_KEY, kt: 1 } });
    const d1 = deriveDecoderKey({ ...MISTY_KEY, kt: 1 });
    expect(
      ddtk.enter(generateCreditToken({ ...base, decoderKey: d1, subclass: 0, units: 1, tid: 5 }), NOW),
    ).toMatchObject({
      ok: false,
      reason: 'DDTK',
    });
    expect(
      ddtk.enter(generateManagementToken({ ...base, decoderKey: d1, subclass: 5, value: 0, tid: 6 }), NOW).ok,
    ).toBe(true);
    const ditk = meter({ meterKey: { ...MISTY_KEY, kt: 0 } });
    const d0 = deriveDecoderKey({ ...MISTY_KEY, kt: 0 });
    expect(
      ditk.enter(generateCreditToken({ ...base, decoderKey: d0, subclass: 0, units: 1, tid: 5 }), NOW),
    ).toMatchObject({
      ok: false,
      reason: 'KeyType',
    });
  });

  it('refuses credit that would overflow a register (Overflow)', () => {
    const m = meter({ creditLimit: 100 });
    expect(m.enter(credit(10, 60), NOW).ok).toBe(true);
    expect(m.enter(credit(11, 60), NOW)).toMatchObject({ ok: false, reason: 'Overflow' });
    expect(m.enter(credit(11, 40), NOW).ok).toBe(true); // a refused token did not burn its TID
  });

  it('reports Format, CRC, Function and Range', () => {
    const m = meter();
    expect(m.enter('1234', NOW)).toMatchObject({ ok: false, reason: 'Format' });
    expect(m.enter('99999999999999999999', NOW)).toMatchObject({ ok: false, reason: 'Format' });
    const other = generateCreditToken({
      ...base,
      decoderKey: deriveDecoderKey(STA_KEY_AS_MISTY),
      subclass: 0,
      units: 1,
      tid: 7,
    });
    expect(m.enter(other, NOW)).toMatchObject({ ok: false, reason: 'CRC' });
    expect(m.enter(mgmt(2, 1, 8), NOW)).toMatchObject({ ok: false, reason: 'Function' });
    const cipher = prepareCipher({ decoderKey: dk, ea: '11' });
    expect(m.enter(buildToken(0, (3 << 28) | 9, 1, cipher), NOW)).toMatchObject({
      ok: false,
      reason: 'Function',
    });
    expect(m.enter(buildToken(3, 10, 1, cipher), NOW)).toMatchObject({ ok: false, reason: 'Function' });
    expect(m.enter(mgmt(1, 7, 11), NOW)).toMatchObject({ ok: false, reason: 'Range' });
  });

  it('locks the keypad after repeated bad entries and unlocks after the lockout period', () => {
    const m = meter({ lockoutAfter: 3, lockoutMinutes: 10 });
    for (let i = 0; i < 3; i++) expect(m.enter(`1111111111111111111${i}`, NOW).ok).toBe(false);
    expect(m.enter(credit(20), NOW)).toMatchObject({ ok: false, reason: 'Lockout' });
    expect(m.enter(credit(20), new Date(NOW.getTime() + 9 * 60_000))).toMatchObject({
      ok: false,
      reason: 'Lockout',
    });
    expect(m.enter(credit(20), new Date(NOW.getTime() + 10 * 60_000)).ok).toBe(true);
  });
});

const STA_KEY_AS_MISTY: MeterKey = { ...MISTY_KEY, pan: '600727000000000017' };

describe('MeterDecoder management and test tokens', () => {
  it('applies max power, phase unbalance, water factor, tamper clear and clear credit', () => {
    const m = meter();
    m.enter(credit(1, 50), NOW);
    m.enter(credit(2, 5, 1), NOW);
    expect(m.enter(mgmt(0, 1000, 3), NOW)).toMatchObject({ ok: true, kind: 'maxPower', value: 1000 });
    expect(m.maxPower).toBe(1000);
    expect(m.enter(mgmt(6, 17_000, 4), NOW)).toMatchObject({
      ok: true,
      kind: 'phaseUnbalance',
      value: 17_004,
    });
    expect(m.enter(mgmt(7, 25, 5), NOW)).toMatchObject({ ok: true, kind: 'waterFactor', value: 25 });
    m.setTamper();
    expect(m.tamper).toBe(true);
    expect(m.enter(mgmt(5, 0, 6), NOW)).toMatchObject({ ok: true, kind: 'clearTamper' });
    expect(m.tamper).toBe(false);
    expect(m.enter(mgmt(1, 0, 7), NOW)).toMatchObject({ ok: true, register: 'electricity' });
    expect(m.registers).toEqual({ electricity: 0, water: 5, gas: 0 });
    expect(m.enter(mgmt(1, 0xffff, 8), NOW)).toMatchObject({ ok: true, register: 'all' });
    expect(m.registers).toEqual({ electricity: 0, water: 0, gas: 0 });
  });

  it('accepts class 1 test tokens (not encrypted, no TID)', () => {
    const m = meter();
    const t = generateTestToken({ subclass: 1, mfrCode: 0x1234, control: 0xabcdef1n });
    expect(m.enter(t, NOW)).toMatchObject({ ok: true, kind: 'test', mfrCode: 0x1234, control: 0xabcdef1n });
  });
});

describe('MeterDecoder key change', () => {
  const newKey: MeterKey = { ...MISTY_KEY, ti: 7, krn: 2, ken: 200, sgc: '654321' };
  const newDk = deriveDecoderKey(newKey);
  const sections = (ro: 0 | 1): string[] =>
    generateKeyChangeTokens({
      currentDecoderKey: dk,
      ea: '11',
      newDecoderKey: newDk,
      ken: 200,
      krn: 2,
      ti: 7,
      kt: 2,
      ro,
      sgc: '654321',
    });

  it('applies a 4-section MISTY1 key change only when every section arrived, in any order', () => {
    const m = meter();
    expect(m.enter(credit(100), NOW).ok).toBe(true);
    const [s1, s2, s3, s4] = sections(0);
    expect(m.enter(s3!, NOW)).toMatchObject({
      ok: true,
      kind: 'keyChangeSection',
      missingSections: [3, 4, 9],
    });
    expect(m.enter(s3!, NOW)).toMatchObject({ ok: false, reason: 'Used' });
    expect(m.enter(s1!, NOW)).toMatchObject({ ok: true, kind: 'keyChangeSection' });
    expect(m.enter(s4!, NOW)).toMatchObject({ ok: true, kind: 'keyChangeSection', missingSections: [4] });
    expect(m.enter(credit(101), NOW).ok).toBe(true); // still the old key until the last section
    expect(m.enter(s2!, NOW)).toMatchObject({ ok: true, kind: 'keyChange', rollover: false });
    expect(m.keyInfo).toMatchObject({ ken: 200, krn: 2, ti: 7, kt: 2, sgc: '654321', baseDate: 1993 });
    expect(m.snapshot().decoderKeyHex).toBe(bytesToHex(newDk));
    expect(m.enter(credit(102), NOW)).toMatchObject({ ok: false, reason: 'CRC' });
    const withNew = generateCreditToken({ ...base, decoderKey: newDk, subclass: 0, units: 1, tid: 103 });
    expect(m.enter(withNew, NOW)).toMatchObject({ ok: true, units: 1 });
    expect(m.tidMemory).toContain(100); // RO=0 keeps the TID memory
  });

  it('clears the TID memory and moves to the next base date on rollover (RO=1)', () => {
    const m = meter();
    expect(m.enter(credit(100), NOW).ok).toBe(true);
    for (const s of sections(1)) expect(m.enter(s, NOW).ok).toBe(true);
    expect(m.tidMemory).toEqual([]);
    expect(m.baseDate).toBe(2014);
  });

  it('applies the public vector 04-CTSA05-1 and ends with the decoder key of its newKey', () => {
    const v = tokenVectors().find((x) => x.id === '04-CTSA05-1')!;
    const m = new MeterDecoder({ meterKey: v.key });
    const results = v.expect.map((t) => m.enter(t, NOW));
    expect(results.at(-1)).toMatchObject({ ok: true, kind: 'keyChange' });
    expect(m.snapshot().decoderKeyHex).toBe(bytesToHex(deriveDecoderKey(v.newKey!)));
    expect(m.keyInfo.ti).toBe(2);
  });

  it('runs a 2-section STA key change with the test tables', () => {
    const staTables = generateTestStaTables();
    const m = new MeterDecoder({ meterKey: STA_KEY, staTables });
    const cur = deriveDecoderKey(STA_KEY);
    const next = deriveDecoderKey({ ...STA_KEY, ti: 2 });
    const toks = generateKeyChangeTokens({
      currentDecoderKey: cur,
      ea: '07',
      staTables,
      newDecoderKey: next,
      ken: 255,
      krn: 1,
      ti: 2,
      kt: 2,
      ro: 0,
    });
    expect(toks).toHaveLength(2);
    expect(m.enter(toks[1]!, NOW)).toMatchObject({
      ok: true,
      kind: 'keyChangeSection',
      missingSections: [3],
    });
    expect(m.enter(toks[0]!, NOW)).toMatchObject({ ok: true, kind: 'keyChange' });
    const t = generateCreditToken({
      decoderKey: next,
      ea: '07',
      staTables,
      subclass: 0,
      units: 5,
      tid: 77,
      rnd: 1,
    });
    expect(m.enter(t, NOW)).toMatchObject({ ok: true, units: 5 });
    expect(() => new MeterDecoder({ meterKey: STA_KEY })).toThrow(TokenEngineError);
  });
});

describe('MeterDecoder persistence', () => {
  it('restores credit, TID memory and key from a snapshot', () => {
    const m = meter();
    m.enter(credit(300, 42), NOW);
    m.setTamper();
    const snap = JSON.parse(JSON.stringify(m.snapshot()));
    const r = meter({ meterKey: { ...MISTY_KEY, krn: 9 } });
    r.restore(snap);
    expect(r.credit).toBe(42);
    expect(r.tamper).toBe(true);
    expect(r.enter(credit(300, 42), NOW)).toMatchObject({ ok: false, reason: 'Used' });
    expect(r.enter(credit(301, 1), NOW).ok).toBe(true);
    expect(() => r.restore({ version: 2 } as never)).toThrow(TokenEngineError);
  });
});
