import siphash from 'siphash';
import { TokenEngineError } from '../errors.js';
import {
  EXTENDED_FOLD,
  EXTENDED_TOKEN_BITS,
  MAX_BASE,
  MAX_BASE_EXTENDED,
  STANDARD_FOLD,
  STANDARD_TOKEN_BITS,
  TOKEN_VALUE_OFFSET,
  TOKEN_VALUE_OFFSET_EXTENDED,
  type OpenPaygoTokenType,
} from './constants.js';

/**
 * What encoder and decoder share (OpenPAYGO Token spec, "Token generation"): the key, the hash
 * chain of codes from the starting code, where the value sits in a code, the restricted digit
 * set, and which counts belong to which token type.
 */

/** A device's 128-bit secret key as SipHash wants it (four little-endian 32-bit words). */
export type OpenPaygoKey = Uint32Array;

/** 32 hex digits → key. Throws naming the field, never echoing the key. */
export function openPaygoKeyFromHex(hex: unknown): OpenPaygoKey {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex))
    throw new TokenEngineError('MG_ERR_TOKEN_OPENPAYGO_KEY', 'key must be 32 hex digits (16 bytes)');
  const k = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    // bytes b0..b3 of each word, little-endian
    let w = 0;
    for (let b = 3; b >= 0; b--) w = (w << 8) | parseInt(hex.slice(8 * i + 2 * b, 8 * i + 2 * b + 2), 16);
    k[i] = w >>> 0;
  }
  return k;
}

/** Token shape: standard (9 digits, value in the last 3) or extended (12 digits, last 6). */
export type TokenShape = {
  extended: boolean;
  offset: number;
  maxBase: number;
  bits: number;
  digits: number;
};
export const STANDARD: TokenShape = {
  extended: false,
  offset: TOKEN_VALUE_OFFSET,
  maxBase: MAX_BASE,
  bits: STANDARD_TOKEN_BITS,
  digits: 9,
};
export const EXTENDED: TokenShape = {
  extended: true,
  offset: TOKEN_VALUE_OFFSET_EXTENDED,
  maxBase: MAX_BASE_EXTENDED,
  bits: EXTENDED_TOKEN_BITS,
  digits: 12,
};
export const shapeOf = (extended: boolean): TokenShape => (extended ? EXTENDED : STANDARD);

export const baseOf = (code: number, shape: TokenShape): number => code % shape.offset;
export const withBase = (code: number, base: number, shape: TokenShape): number =>
  code - baseOf(code, shape) + base;
/** The value travels as base = (starting code's base + value) mod offset. */
export const encodeBase = (startBase: number, value: number, shape: TokenShape): number =>
  (startBase + value) % shape.offset;
export const decodeBase = (startBase: number, tokenBase: number, shape: TokenShape): number =>
  (tokenBase - startBase + shape.offset) % shape.offset;

const message = new Uint8Array(8);
const view = new DataView(message.buffer);

/**
 * Next code of the chain. Standard: the 32-bit code, big-endian, twice (8 bytes); the 64-bit
 * SipHash-2-4 folded hi ⊕ lo, bits 2..31 kept (30 bits), reduced under 10^9. Extended: the code
 * as a 64-bit big-endian integer; bits 24..63 of the hash kept (40 bits), reduced under 10^12.
 */
export function nextCode(code: number, key: OpenPaygoKey, shape: TokenShape): number {
  if (!shape.extended) {
    view.setUint32(0, code >>> 0);
    view.setUint32(4, code >>> 0);
    const { h, l } = siphash.hash(key, message);
    const folded = ((h ^ l) >>> 2) & 0x3fffffff;
    return folded > 999_999_999 ? folded - STANDARD_FOLD : folded;
  }
  view.setUint32(0, Math.floor(code / 2 ** 32));
  view.setUint32(4, code >>> 0);
  const { h, l } = siphash.hash(key, message);
  const top40 = (h >>> 0) * 256 + (l >>> 24);
  return top40 > 999_999_999_999 ? top40 - EXTENDED_FOLD : top40;
}

/** Starting code derived from the key alone, when a device was provisioned without one. */
export function startingCodeFromKey(key: OpenPaygoKey): number {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, key[0]!, true);
  new DataView(bytes.buffer).setUint32(4, key[1]!, true);
  new DataView(bytes.buffer).setUint32(8, key[2]!, true);
  new DataView(bytes.buffer).setUint32(12, key[3]!, true);
  const { h, l } = siphash.hash(key, bytes);
  const folded = ((h ^ l) >>> 2) & 0x3fffffff;
  return folded > 999_999_999 ? folded - STANDARD_FOLD : folded;
}

/** Restricted digit set: each 2 bits (most significant first) → a digit 1..4. */
export function toRestrictedDigits(value: number, shape: TokenShape): string {
  let out = '';
  for (let i = shape.bits - 2; i >= 0; i -= 2) out += String((Math.floor(value / 2 ** i) % 4) + 1);
  return out;
}

/** Digits 1..4 → the binary value; null when a digit is outside 1..4. */
export function fromRestrictedDigits(digits: string): number | null {
  let v = 0;
  for (const d of digits) {
    const n = d.charCodeAt(0) - 0x31;
    if (n < 0 || n > 3) return null;
    v = v * 4 + n;
  }
  return v;
}

/**
 * Counts carry the token type in their parity: ADD_TIME uses even counts, SET_TIME,
 * DISABLE_PAYG and COUNTER_SYNC odd ones. The next count is the next of the right parity.
 */
export function nextCount(count: number, type: OpenPaygoTokenType): number {
  const wantOdd = type !== 'ADD_TIME';
  return (count % 2 === 1) === wantOdd ? count + 2 : count + 1;
}
