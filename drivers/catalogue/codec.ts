import { CatalogueError } from './errors.js';
import { pointWidth } from './register-types.js';
import type { ByteOrder, RegisterPoint, RegisterType } from './types.js';

/**
 * Raw register words <-> values in OBIS units. Words are 16-bit big-endian on the wire (Modbus
 * application protocol §4.2); multi-word values follow the point's byte order. Decoding never throws
 * on device data: a short or malformed read, NaN or a "not available" sentinel decodes to null.
 * Coils and discrete inputs (functions 1/2) arrive as one 0/1 entry per bit.
 */

/** The bytes of `words` (wire order) rearranged most significant first, per the byte order. */
function msbBytes(words: readonly number[], order: ByteOrder | undefined): Buffer {
  const n = words.length;
  const b = Buffer.alloc(2 * n);
  words.forEach((w, i) => b.writeUInt16BE(w, 2 * i));
  return reorder(b, order);
}

/** Applies the byte order permutation; it is its own inverse for every order. */
function reorder(b: Buffer, order: ByteOrder | undefined): Buffer {
  const n = b.length / 2;
  const out = Buffer.alloc(b.length);
  for (let i = 0; i < n; i++) {
    const hi = b[2 * i]!;
    const lo = b[2 * i + 1]!;
    switch (order ?? 'ABCD') {
      case 'ABCD':
        out[2 * i] = hi;
        out[2 * i + 1] = lo;
        break;
      case 'CDAB': // words reversed, bytes in each word kept
        out[2 * (n - 1 - i)] = hi;
        out[2 * (n - 1 - i) + 1] = lo;
        break;
      case 'BADC': // bytes swapped in each word
        out[2 * i] = lo;
        out[2 * i + 1] = hi;
        break;
      case 'DCBA': // fully reversed
        out[2 * (n - 1 - i)] = lo;
        out[2 * (n - 1 - i) + 1] = hi;
        break;
    }
  }
  return out;
}

function wordsOf(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 2) out.push(b.readUInt16BE(i));
  return out;
}

const BITS: Partial<Record<RegisterType, number>> = {
  int16: 16,
  uint16: 16,
  int32: 32,
  uint32: 32,
  int64: 64,
  uint64: 64,
};
const SIGNED = new Set<RegisterType>(['int16', 'int32', 'int64']);

function rawMax(p: RegisterPoint): bigint {
  if (p.bit !== undefined) return (1n << BigInt(p.bits ?? 1)) - 1n;
  const bits = BITS[p.type];
  if (!bits) return 0n;
  return SIGNED.has(p.type) ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
}

function rawMin(p: RegisterPoint): bigint {
  if (p.bit === undefined && SIGNED.has(p.type)) return -(1n << BigInt(BITS[p.type]! - 1));
  return 0n;
}

/** Decimal places of a scale like 0.001, so 1234 × 0.001 prints as 1.234 and not 1.2340000000000002. */
function decimalsOf(scale: number): number {
  if (Number.isInteger(scale)) return 0;
  const [mant = '', exp = '0'] = scale.toExponential().split('e');
  const frac = mant.split('.')[1]?.length ?? 0;
  return Math.max(0, frac - Number(exp));
}

function applyScale(raw: number, p: RegisterPoint): number {
  const offset = p.offset ?? 0;
  if (p.scale === 1) return raw + offset;
  const v = raw * p.scale;
  const d = decimalsOf(p.scale);
  return (d > 0 && d <= 15 ? Number(v.toFixed(Math.min(d, 15))) : v) + offset;
}

function validWords(words: readonly number[]): boolean {
  return words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff);
}

/** The numeric value of a point (bits as 0/1), or null when unreadable or "not available". */
export function decodePoint(point: RegisterPoint, registers: readonly number[]): number | null {
  const n = pointWidth(point);
  if (registers.length < n) return null;
  const words = registers.slice(0, n);
  if (!validWords(words)) return null;
  if (point.function === 1 || point.function === 2) return words[0] ? 1 : 0;
  if (point.type === 'string') return null;
  if (point.bit !== undefined) {
    const raw = (words[0]! >> point.bit) & Number(rawMax(point));
    return applyScale(raw, point);
  }
  const b = msbBytes(words, point.byteOrder);
  if (point.type === 'float32' || point.type === 'float64') {
    const f = point.type === 'float32' ? b.readFloatBE(0) : b.readDoubleBE(0);
    if (!Number.isFinite(f)) return null;
    // float32 values keep float32 precision; scaling in double precision is exact enough for kW/kWh.
    return (point.scale === 1 ? f : f * point.scale) + (point.offset ?? 0);
  }
  let raw: bigint;
  switch (point.type) {
    case 'bit':
      raw = BigInt(words[0]! & 1);
      break;
    case 'int16':
      raw = BigInt(b.readInt16BE(0));
      break;
    case 'uint16':
      raw = BigInt(b.readUInt16BE(0));
      break;
    case 'int32':
      raw = BigInt(b.readInt32BE(0));
      break;
    case 'uint32':
      raw = BigInt(b.readUInt32BE(0));
      break;
    case 'int64':
      raw = b.readBigInt64BE(0);
      break;
    default:
      raw = b.readBigUInt64BE(0);
  }
  if (point.notAvailable === 'max' && raw === rawMax(point)) return null;
  return applyScale(Number(raw), point);
}

/** The text of a string point: bytes in register order (per byte order), trailing NULs and spaces cut. */
export function decodeText(point: RegisterPoint, registers: readonly number[]): string | null {
  const n = pointWidth(point);
  if (registers.length < n || !validWords(registers.slice(0, n))) return null;
  const b = Buffer.alloc(2 * n);
  registers.slice(0, n).forEach((w, i) => b.writeUInt16BE(w, 2 * i));
  // Strings are byte sequences, not numbers: only the swap inside each word applies (BADC / DCBA).
  const swapped = point.byteOrder === 'BADC' || point.byteOrder === 'DCBA' ? reorder(b, 'BADC') : b;
  return swapped.toString('latin1').replace(/[\0 ]+$/, '');
}

export function encodeText(point: RegisterPoint, text: string): number[] {
  const n = pointWidth(point);
  const b = Buffer.alloc(2 * n);
  b.write(text.slice(0, 2 * n), 'latin1');
  return wordsOf(point.byteOrder === 'BADC' || point.byteOrder === 'DCBA' ? reorder(b, 'BADC') : b);
}

/** Words for a value in OBIS units (null → the point's "not available" sentinel). Throws if it cannot fit. */
export function encodePoint(point: RegisterPoint, value: number | null): number[] {
  const n = pointWidth(point);
  const where = point.key;
  if (point.function === 1 || point.function === 2) return [value ? 1 : 0];
  if (point.type === 'string') return encodeText(point, value === null ? '' : String(value));
  if (value === null) {
    if (point.type === 'float32') return wordsOf(reorder(Buffer.from([0x7f, 0xc0, 0, 0]), point.byteOrder));
    if (point.type === 'float64')
      return wordsOf(reorder(Buffer.from([0x7f, 0xf8, 0, 0, 0, 0, 0, 0]), point.byteOrder));
    if (point.notAvailable !== 'max') {
      throw new CatalogueError(
        'MG_ERR_CATALOGUE_RANGE',
        `${where}: ${point.type} has no "not available" value`,
      );
    }
    return fromRaw(point, rawMax(point), n);
  }
  if (!Number.isFinite(value))
    throw new CatalogueError('MG_ERR_CATALOGUE_RANGE', `${where}: ${value} is not finite`);
  const scaled = (value - (point.offset ?? 0)) / point.scale;
  if (point.type === 'float32' || point.type === 'float64') {
    const b = Buffer.alloc(2 * n);
    if (point.type === 'float32') b.writeFloatBE(scaled, 0);
    else b.writeDoubleBE(scaled, 0);
    return wordsOf(reorder(b, point.byteOrder));
  }
  const raw = BigInt(Math.round(scaled));
  const max = rawMax(point) - (point.notAvailable === 'max' ? 1n : 0n);
  if (raw < rawMin(point) || raw > max) {
    throw new CatalogueError(
      'MG_ERR_CATALOGUE_RANGE',
      `${where}: ${value} (raw ${raw}) does not fit ${point.bit !== undefined ? `${point.bits ?? 1} bit(s)` : point.type}`,
    );
  }
  return fromRaw(point, raw, n);
}

function fromRaw(point: RegisterPoint, raw: bigint, n: number): number[] {
  if (point.bit !== undefined) return [Number(raw) << point.bit];
  if (point.type === 'bit') return [Number(raw) & 1];
  const unsigned = raw < 0n ? raw + (1n << BigInt(16 * n)) : raw;
  const b = Buffer.alloc(2 * n);
  for (let i = 0; i < n; i++)
    b.writeUInt16BE(Number((unsigned >> BigInt(16 * (n - 1 - i))) & 0xffffn), 2 * i);
  return wordsOf(reorder(b, point.byteOrder));
}
