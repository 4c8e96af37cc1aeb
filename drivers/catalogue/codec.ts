import { CatalogueError } from './errors.js';
import { registerCount } from './register-types.js';
import type { RegisterPoint, RegisterType } from './types.js';

/**
 * Raw register words <-> values in OBIS units. Words are 16-bit big-endian (Modbus application
 * protocol §4.2); multi-word values follow the point's word order. Decoding never throws on device
 * data: a short or malformed read, NaN or a "not available" sentinel decodes to null.
 */

const TWO_16 = 0x1_0000;
const TWO_32 = 0x1_0000_0000;

/** Words of the point in most-significant-first order. */
function msbFirst(point: RegisterPoint, words: readonly number[]): number[] {
  return point.wordOrder === 'little' ? [...words].reverse() : [...words];
}

function rawMax(type: RegisterType): bigint {
  switch (type) {
    case 'int16':
      return 0x7fffn;
    case 'uint16':
      return 0xffffn;
    case 'int32':
      return 0x7fff_ffffn;
    case 'uint32':
      return 0xffff_ffffn;
    case 'uint64':
      return 0xffff_ffff_ffff_ffffn;
    case 'float32':
      return 0n;
  }
}

function rawMin(type: RegisterType): bigint {
  if (type === 'int16') return -0x8000n;
  if (type === 'int32') return -0x8000_0000n;
  return 0n;
}

/** The raw (unscaled) value of the words, as a bigint for integer types. */
function rawValue(point: RegisterPoint, words: number[]): bigint | number {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0] = words;
  switch (point.type) {
    case 'uint16':
      return BigInt(w0);
    case 'int16':
      return BigInt(w0 >= 0x8000 ? w0 - TWO_16 : w0);
    case 'uint32':
      return BigInt(w0 * TWO_16 + w1);
    case 'int32': {
      const u = w0 * TWO_16 + w1;
      return BigInt(u >= 0x8000_0000 ? u - TWO_32 : u);
    }
    case 'uint64':
      return (BigInt(w0) << 48n) | (BigInt(w1) << 32n) | (BigInt(w2) << 16n) | BigInt(w3);
    case 'float32': {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(w0, 0);
      b.writeUInt16BE(w1, 2);
      return b.readFloatBE(0);
    }
  }
}

/** Decimal places of a scale like 0.001, so 1234 × 0.001 prints as 1.234 and not 1.2340000000000002. */
function decimalsOf(scale: number): number {
  if (Number.isInteger(scale)) return 0;
  const s = scale.toExponential();
  const [mant = '', exp = '0'] = s.split('e');
  const frac = mant.split('.')[1]?.length ?? 0;
  return Math.max(0, frac - Number(exp));
}

function applyScale(raw: number, scale: number): number {
  if (scale === 1) return raw;
  const v = raw * scale;
  const d = decimalsOf(scale);
  return d > 0 && d <= 15 ? Number(v.toFixed(Math.min(d, 15))) : v;
}

export function decodePoint(point: RegisterPoint, registers: readonly number[]): number | null {
  const n = registerCount(point.type);
  if (registers.length < n) return null;
  const words = registers.slice(0, n);
  if (!words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff)) return null;
  const raw = rawValue(point, msbFirst(point, words));
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return null;
    // float32 values keep float32 precision; scaling in double precision is exact enough for kW/kWh.
    return point.scale === 1 ? raw : raw * point.scale;
  }
  if (point.notAvailable === 'max' && raw === rawMax(point.type)) return null;
  return applyScale(Number(raw), point.scale);
}

/** Words for a value in OBIS units (null → the point's "not available" sentinel). Throws if it cannot fit. */
export function encodePoint(point: RegisterPoint, value: number | null): number[] {
  const n = registerCount(point.type);
  if (value === null) {
    if (point.type === 'float32') return msbFirst(point, wordsOf(Buffer.from([0x7f, 0xc0, 0, 0])));
    if (point.notAvailable !== 'max') {
      throw new CatalogueError(
        'MG_ERR_CATALOGUE_RANGE',
        `${point.obis}: ${point.type} has no "not available" value`,
      );
    }
    return msbFirst(point, integerWords(rawMax(point.type), n));
  }
  if (!Number.isFinite(value))
    throw new CatalogueError('MG_ERR_CATALOGUE_RANGE', `${point.obis}: ${value} is not finite`);
  const scaled = value / point.scale;
  if (point.type === 'float32') {
    const b = Buffer.alloc(4);
    b.writeFloatBE(scaled, 0);
    return msbFirst(point, wordsOf(b));
  }
  const raw = BigInt(Math.round(scaled));
  const max = rawMax(point.type) - (point.notAvailable === 'max' ? 1n : 0n);
  if (raw < rawMin(point.type) || raw > max) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_RANGE',
      `${point.obis}: ${value} (raw ${raw}) does not fit ${point.type}`,
    );
  }
  const unsigned = raw < 0n ? raw + (1n << BigInt(16 * n)) : raw;
  return msbFirst(point, integerWords(unsigned, n));
}

function wordsOf(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 2) out.push(b.readUInt16BE(i));
  return out;
}

/** n words of an unsigned integer, most significant first. */
function integerWords(v: bigint, n: number): number[] {
  const out: number[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(Number((v >> BigInt(16 * i)) & 0xffffn));
  return out;
}
