import type { PreparedCipher } from './cipher.js';
import { tokenCrc } from './crc.js';
import { formatToken, transposeClass } from './transposition.js';

/**
 * The token pipeline of IEC 62055-41 §6: data block (subclass(4) | 44 bits | field(16) | crc(16),
 * held as two 32-bit halves: `hi` = subclass..tid, low half = field | crc), CRC, encryption
 * (skipped for class 1), class transposition, 20 digits.
 */
export function buildToken(cls: number, hi: number, field: number, cipher: PreparedCipher | null): string {
  const block = Uint32Array.of(hi >>> 0, ((field << 16) | tokenCrc(cls, hi, field)) >>> 0);
  if (cipher) cipher.encrypt(block);
  return formatToken(transposeClass(cls, block[0]!, block[1]!));
}

export function assertIntIn(
  v: unknown,
  min: number,
  max: number,
  name: string,
  onError: (detail: string) => never,
): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    onError(`${name} must be an integer ${min}..${max}`);
  return v as number;
}
