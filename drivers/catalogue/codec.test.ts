import { describe, expect, it } from 'vitest';
import { decodePoint, encodePoint } from './codec.js';
import type { RegisterPoint } from './types.js';

const pt = (p: Partial<RegisterPoint>): RegisterPoint => ({
  key: '1-0:1.8.0',
  obis: '1-0:1.8.0',
  registers: { float32: 2, int32: 2, uint32: 2, uint64: 4, int64: 4, float64: 4 }[p.type as string] ?? 1,
  ...(p.wordOrder ? { byteOrder: p.wordOrder === 'little' ? 'CDAB' : 'ABCD' } : {}),
  function: 3,
  address: 0,
  type: 'uint16',
  scale: 1,
  unit: 'kWh',
  ...p,
});

// Independent vectors: IEEE 754 bit patterns and two's-complement words written out by hand.
describe('decodePoint', () => {
  it('float32 high word first and low word first', () => {
    expect(decodePoint(pt({ type: 'float32', wordOrder: 'big' }), [0x4366, 0x0000])).toBe(230);
    expect(decodePoint(pt({ type: 'float32', wordOrder: 'little' }), [0x0000, 0x4366])).toBe(230);
    expect(decodePoint(pt({ type: 'float32', wordOrder: 'big' }), [0xc2c8, 0x0000])).toBe(-100);
  });

  it('signed and unsigned integers with scale', () => {
    expect(decodePoint(pt({ type: 'int16', scale: 0.001 }), [0xfc18])).toBe(-1); // -1000
    expect(decodePoint(pt({ type: 'uint16', scale: 0.01 }), [0x1389])).toBe(50.01); // 5001
    expect(decodePoint(pt({ type: 'int32', wordOrder: 'little', scale: 0.1 }), [0x0901, 0x0000])).toBe(230.5); // 2305
    expect(decodePoint(pt({ type: 'int32', wordOrder: 'big' }), [0xffff, 0xfffe])).toBe(-2);
    expect(decodePoint(pt({ type: 'uint32', wordOrder: 'big' }), [0x0001, 0x0000])).toBe(65536);
    expect(decodePoint(pt({ type: 'uint64', wordOrder: 'big', scale: 0.01 }), [0, 0, 0x0001, 0xe240])).toBe(
      1234.56,
    ); // 123456
  });

  it('"not available" sentinels and NaN decode to null', () => {
    const na = { notAvailable: 'max' as const };
    expect(
      decodePoint(pt({ type: 'uint64', wordOrder: 'big', ...na }), [0xffff, 0xffff, 0xffff, 0xffff]),
    ).toBeNull();
    expect(decodePoint(pt({ type: 'uint32', wordOrder: 'big', ...na }), [0xffff, 0xffff])).toBeNull();
    expect(decodePoint(pt({ type: 'uint16', ...na }), [0xffff])).toBeNull();
    expect(decodePoint(pt({ type: 'int32', wordOrder: 'big', ...na }), [0x7fff, 0xffff])).toBeNull();
    expect(decodePoint(pt({ type: 'int16', ...na }), [0x7fff])).toBeNull();
    // Without the flag all ones is an ordinary value.
    expect(decodePoint(pt({ type: 'uint16' }), [0xffff])).toBe(65535);
    expect(decodePoint(pt({ type: 'float32', wordOrder: 'big' }), [0x7fc0, 0x0000])).toBeNull();
    expect(decodePoint(pt({ type: 'float32', wordOrder: 'big' }), [0x7f80, 0x0000])).toBeNull(); // +Inf
  });

  it('short or malformed register arrays decode to null instead of throwing', () => {
    expect(decodePoint(pt({ type: 'float32', wordOrder: 'big' }), [0x4366])).toBeNull();
    expect(decodePoint(pt({ type: 'uint16' }), [0x10000])).toBeNull();
    expect(decodePoint(pt({ type: 'uint16' }), [-1])).toBeNull();
  });
});

describe('encodePoint', () => {
  it('produces the same words as the vectors above', () => {
    expect(encodePoint(pt({ type: 'float32', wordOrder: 'big' }), 230)).toEqual([0x4366, 0x0000]);
    expect(encodePoint(pt({ type: 'int32', wordOrder: 'little', scale: 0.1 }), 230.5)).toEqual([
      0x0901, 0x0000,
    ]);
    expect(encodePoint(pt({ type: 'int16', scale: 0.001 }), -1)).toEqual([0xfc18]);
    expect(encodePoint(pt({ type: 'uint64', wordOrder: 'big', scale: 0.01 }), 1234.56)).toEqual([
      0, 0, 0x0001, 0xe240,
    ]);
    expect(encodePoint(pt({ type: 'uint64', wordOrder: 'little', scale: 0.01 }), 1234.56)).toEqual([
      0xe240, 0x0001, 0, 0,
    ]);
  });

  it('null encodes the sentinel; values that do not fit throw', () => {
    expect(encodePoint(pt({ type: 'uint32', wordOrder: 'big', notAvailable: 'max' }), null)).toEqual([
      0xffff, 0xffff,
    ]);
    expect(
      decodePoint(
        pt({ type: 'float32', wordOrder: 'big' }),
        encodePoint(pt({ type: 'float32', wordOrder: 'big' }), null),
      ),
    ).toBeNull();
    expect(() => encodePoint(pt({ type: 'uint16' }), null)).toThrow(/no "not available"/);
    expect(() => encodePoint(pt({ type: 'uint16' }), -1)).toThrow(
      expect.objectContaining({ code: 'MG_ERR_CATALOGUE_RANGE' }),
    );
    expect(() => encodePoint(pt({ type: 'int16' }), 40000)).toThrow(/does not fit/);
    // The sentinel itself is reserved: a real value may not encode to it.
    expect(() => encodePoint(pt({ type: 'uint16', notAvailable: 'max' }), 65535)).toThrow(/does not fit/);
    expect(() => encodePoint(pt({ type: 'uint16' }), Number.NaN)).toThrow(/not finite/);
  });
});
