import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  crc16Modbus,
  decodeAmount,
  decodeAmountRaw,
  encodeAmount,
  encodeAmountRaw,
  luhnCheckDigit,
  misty1Decrypt,
  misty1Encrypt,
  misty1ExpandKey,
  parsePan,
  rolloverTime,
  tidFromTime,
  timeFromTid,
  tokenCrc,
  TokenEngineError,
  deriveDecoderKey,
  bytesToHex,
  MAX_AMOUNT_TENTHS,
} from './index.js';
import { dkga02 } from './dkga02.js';
import { STA_KEY } from './test-support.js';

const hex = (b: Uint32Array): string =>
  b[0]!.toString(16).padStart(8, '0') + b[1]!.toString(16).padStart(8, '0');
const block = (h: string): Uint32Array =>
  Uint32Array.of(parseInt(h.slice(0, 8), 16), parseInt(h.slice(8), 16));
const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof TokenEngineError ? e.code : 'not a TokenEngineError';
  }
  return undefined;
};

describe('MISTY1 (RFC 2994 Appendix B vectors)', () => {
  const ek = misty1ExpandKey(Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex')));
  it.each([
    ['0123456789abcdef', '8b1da5f56ab3d07c'],
    ['fedcba9876543210', '04b68240b13be95d'],
  ])('%s encrypts to %s and back', (plain, cipher) => {
    const b = block(plain);
    misty1Encrypt(ek, b);
    expect(hex(b)).toBe(cipher);
    misty1Decrypt(ek, b);
    expect(hex(b)).toBe(plain);
  });
  it('refuses a key that is not 16 bytes', () => {
    expect(() => misty1ExpandKey(new Uint8Array(8))).toThrow(RangeError);
  });
});

describe('CRC-16/MODBUS with byte swap', () => {
  it('matches the catalogue check value of CRC-16/MODBUS ("123456789" → 0x4B37)', () => {
    expect(crc16Modbus(Buffer.from('123456789'))).toBe(0x4b37);
  });
  it('reproduces the STS.md example (class 0, sub 0, rnd 5, tid 0xC02A55, amount 0x2710 → 0x1970)', () => {
    expect(tokenCrc(0, (5 << 24) | 0xc02a55, 0x2710)).toBe(0x1970);
    const plain = crc16Modbus([0, 0x05, 0xc0, 0x2a, 0x55, 0x27, 0x10]);
    expect(((plain & 0xff) << 8) | (plain >>> 8)).toBe(0x1970);
  });
});

describe('amount encoding', () => {
  it.each([
    [0, 0],
    [16_383, 0x3fff],
    [16_384, 0x4000],
    [180_214, 0x7fff],
    [180_223, 0x8000], // mantissa rounds up to 16384 and carries into e = 2
    [180_224, 0x8000],
    [1_818_524, 0xbfff],
    [1_818_624, 0xc000],
    [MAX_AMOUNT_TENTHS, 0xffff],
  ])('%d tenths → 0x%s', (tenths, field) => {
    expect(encodeAmountRaw(tenths)).toBe(field);
  });
  it('rounds the mantissa up, never down (customer’s favour)', () => {
    expect(decodeAmountRaw(encodeAmountRaw(16_385))).toBe(16_394);
    expect(decodeAmountRaw(encodeAmountRaw(180_225))).toBe(180_324);
  });
  it('turns units into tenths: below 1 rounds up, otherwise truncates', () => {
    expect(encodeAmount(0.1)).toBe(1);
    expect(encodeAmount(0.01)).toBe(1);
    expect(encodeAmount(0.3)).toBe(3);
    expect(encodeAmount(1638.3)).toBe(16_383);
    expect(encodeAmount(1.99)).toBe(19);
    expect(decodeAmount(encodeAmount(25))).toBe(25);
  });
  it('refuses amounts it cannot encode', () => {
    expect(code(() => encodeAmount(-1))).toBe('MG_ERR_TOKEN_AMOUNT_RANGE');
    expect(code(() => encodeAmount(Number.NaN))).toBe('MG_ERR_TOKEN_AMOUNT_RANGE');
    expect(code(() => encodeAmount(1_820_162.5))).toBe('MG_ERR_TOKEN_AMOUNT_RANGE');
    expect(code(() => encodeAmountRaw(MAX_AMOUNT_TENTHS + 1))).toBe('MG_ERR_TOKEN_AMOUNT_RANGE');
    expect(encodeAmount(1_820_162.4)).toBe(0xffff);
  });
});

describe('TID', () => {
  it('counts minutes since the base date in UTC', () => {
    expect(tidFromTime(new Date('1993-01-01T00:00:00Z'), 1993)).toBe(0);
    expect(tidFromTime(new Date('2004-03-01T13:00:59Z'), 1993)).toBe(5_871_660);
    expect(tidFromTime(new Date('2035-01-01T08:00:00Z'), 2035)).toBe(480);
    expect(timeFromTid(5_871_660, 1993).toISOString()).toBe('2004-03-01T13:00:00.000Z');
  });
  it('knows each base date’s rollover and refuses past it', () => {
    expect(rolloverTime(1993).toISOString()).toBe('2024-11-24T20:15:00.000Z');
    expect(rolloverTime(2014).toISOString().slice(0, 10)).toBe('2045-11-24');
    expect(tidFromTime(new Date('2024-11-24T20:15:30Z'), 1993)).toBe(2 ** 24 - 1);
    expect(code(() => tidFromTime(new Date('2024-11-24T20:16:00Z'), 1993))).toBe('MG_ERR_TOKEN_TID_ROLLOVER');
    expect(code(() => tidFromTime(new Date('2013-12-31T23:59:00Z'), 2014))).toBe(
      'MG_ERR_TOKEN_TID_BEFORE_BASE',
    );
    expect(code(() => tidFromTime(new Date('garbage'), 2014))).toBe('MG_ERR_TOKEN_TID_RANGE');
    expect(code(() => timeFromTid(2 ** 24, 2014))).toBe('MG_ERR_TOKEN_TID_RANGE');
  });
});

describe('PAN', () => {
  it('computes the Luhn check digit (ISO/IEC 7812 example 7992739871 → 3)', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
  });
  it('parses the 600727 and legacy 0000 forms', () => {
    expect(parsePan('600727000000000009')).toMatchObject({
      ok: true,
      iin: '600727',
      iain: '00000000000',
      checkDigit: 9,
    });
    expect(parsePan('000001000000000082')).toMatchObject({
      ok: true,
      iin: '0000',
      iain: '0100000000008',
      legacy: true,
    });
    expect(parsePan('60072700000000000')).toMatchObject({ ok: true, pan: '600727000000000009' });
  });
  it('refuses malformed PANs with a reason', () => {
    expect(parsePan('600727000000000008')).toMatchObject({ ok: false, reason: 'CheckDigit' });
    expect(parsePan('123456000000000009')).toMatchObject({ ok: false, reason: 'IIN' });
    expect(parsePan('6007270000')).toMatchObject({ ok: false, reason: 'Format' });
    expect(parsePan(42 as unknown as string)).toMatchObject({ ok: false, reason: 'Format' });
  });
});

describe('key fields and DKGA02', () => {
  it.each([
    [{ sgc: '12345' }, 'sgc'],
    [{ ti: 100 }, 'ti'],
    [{ krn: 0 }, 'krn'],
    [{ kt: 4 }, 'kt'],
    [{ ken: 256 }, 'ken'],
    [{ baseDate: 2000 }, 'baseDate'],
    [{ vendingKey: 'abab' }, 'vendingKey'],
    [{ ea: '11' }, 'EA11'],
  ])('refuses %o naming %s without echoing the vending key', (patch, field) => {
    let err: unknown;
    try {
      deriveDecoderKey({ ...STA_KEY, ...patch } as typeof STA_KEY);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenEngineError);
    expect((err as Error).message).toContain(field);
    expect((err as Error).message).not.toContain('abababab');
  });
  it('single DES (des.ts) in DKGA02 agrees with OpenSSL (des-ede-ecb with K‖K)', () => {
    const key = { ...STA_KEY, vendingKey: '0123456789abcdef', sgc: '654321', ti: 7, krn: 3, kt: 1 };
    const dk = dkga02(key, key.pan);
    const vk = Buffer.from(key.vendingKey, 'hex');
    const p = Buffer.from('0072700000000000', 'hex');
    const ctl = Buffer.from('1654321073ffffff', 'hex');
    for (let i = 0; i < 8; i++) p[i]! ^= ctl[i]!;
    const des = createCipheriv('des-ede-ecb', Buffer.concat([vk, vk]), null).setAutoPadding(false);
    const e = des.update(p);
    const expected = Buffer.alloc(8);
    for (let i = 0; i < 8; i++) expected[i] = e[i]! ^ p[i]! ^ vk[i]!;
    expect(bytesToHex(dk)).toBe(expected.toString('hex'));
  });
});
