/**
 * Class transposition (IEC 62055-41 §6.3.4) and the 20-digit decimal form.
 * Encrypted bits 28 and 27 are moved to bits 65 and 64 and replaced by the class bits 1 and 0,
 * giving a 66-bit number printed in decimal, zero-padded to 20 digits.
 */
import { parseTokenDigits } from './token-digits.js';

export const TOKEN_DIGITS = 20;
const MAX_66 = (1n << 66n) - 1n;
const CLASS_MASK = 3 << 27;

export function transposeClass(cls: number, hi: number, lo: number): bigint {
  const saved = (lo >>> 27) & 3; // saved28 << 1 | saved27
  const low = ((lo & ~CLASS_MASK) | ((cls & 3) << 27)) >>> 0;
  return (BigInt(saved) << 64n) | (BigInt(hi) << 32n) | BigInt(low);
}

export function formatToken(n66: bigint): string {
  return n66.toString().padStart(TOKEN_DIGITS, '0');
}

export type ParsedToken =
  { ok: true; cls: number; hi: number; lo: number } | { ok: false; reason: 'Format'; message: string };

/**
 * Parse a typed token: 20 digits (ASCII, Eastern Arabic or Persian), spaces and dashes between
 * groups allowed (token-digits.ts); never throws.
 */
export function parseToken(token: unknown): ParsedToken {
  const typed = parseTokenDigits(token, TOKEN_DIGITS);
  if (!typed.ok) return typed;
  const digits = typed.digits;
  const n = BigInt(digits);
  if (n > MAX_66) return { ok: false, reason: 'Format', message: 'token is larger than 66 bits' };
  const top = Number(n >> 64n);
  const hi = Number((n >> 32n) & 0xffffffffn);
  const low = Number(n & 0xffffffffn);
  const cls = (low >>> 27) & 3;
  const lo = ((low & ~CLASS_MASK) | (top << 27)) >>> 0;
  return { ok: true, cls, hi, lo };
}
