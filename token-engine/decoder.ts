import { decodeAmount, decodeAmountRaw } from './amount.js';
import { prepareCipher, type PreparedCipher } from './cipher.js';
import { tokenCrc } from './crc.js';
import { decodeKeyChangeFields, type KeyChangeSection } from './token-classes/key-change.js';
import { WATT_SUBCLASSES } from './token-classes/management.js';
import { decodeTestFields } from './token-classes/test-token.js';
import { timeFromTid } from './tid.js';
import { parseToken } from './transposition.js';
import type { BaseDate, Ea, StaTables, TokenClass } from './types.js';

export type DecodeOptions = {
  decoderKey: Uint8Array;
  ea: Ea;
  staTables?: StaTables;
  /** When given, `time` is filled in for tokens that carry a TID. */
  baseDate?: BaseDate;
};

export type DecodedToken = {
  ok: true;
  cls: TokenClass;
  subclass: number;
  /** The CRC matched: without it every other field is noise (wrong key or mistyped token). */
  crcOk: boolean;
  /** The decrypted 64-bit data block. */
  block: bigint;
  rnd?: number;
  tid?: number;
  time?: Date;
  /** Raw 16-bit field (classes 0 and 2 with a TID). */
  field?: number;
  /** Class 0: credit in units (kWh, m³). */
  amount?: number;
  /** Class 2: watts for subclasses 0 and 6 (amount formula), the raw field otherwise. */
  value?: number;
  /** Class 1. */
  test?: { mfrCode: number; control: bigint };
  /** Class 2 subclasses 3, 4, 8, 9. */
  keyChange?: KeyChangeSection;
};

export type DecodeResult = DecodedToken | { ok: false; reason: 'Format'; message: string };

/**
 * Token + decoder key → class, subclass, RND, TID (and its time), value, CRC verdict
 * (IEC 62055-41 §6 in reverse). Never throws on the token string; misuse of the options (wrong
 * key length, EA07 without tables) throws a TokenEngineError when a token needs decrypting.
 */
export function decodeToken(token: string, opts: DecodeOptions): DecodeResult {
  // The cipher is prepared only when a token needs decrypting: class 1 (sent in clear) decodes
  // even for an EA07 meter whose STA tables are not configured.
  let cipher: PreparedCipher | null = null;
  return decodeWithCipher(token, () => (cipher ??= prepareCipher(opts)), opts.baseDate);
}

export function decodeWithCipher(
  token: string,
  cipher: PreparedCipher | (() => PreparedCipher),
  baseDate?: BaseDate,
): DecodeResult {
  const parsed = parseToken(token);
  if (!parsed.ok) return parsed;
  const cls = parsed.cls as TokenClass;
  const block = Uint32Array.of(parsed.hi, parsed.lo);
  if (cls !== 1) (typeof cipher === 'function' ? cipher() : cipher).decrypt(block); // class 1 is sent in clear
  const hi = block[0]!;
  const lo = block[1]!;
  const field = lo >>> 16;
  const crcOk = tokenCrc(cls, hi, field) === (lo & 0xffff);
  const subclass = hi >>> 28;
  const out: DecodedToken = { ok: true, cls, subclass, crcOk, block: (BigInt(hi) << 32n) | BigInt(lo) };
  if (cls === 1) {
    const test = decodeTestFields(subclass, hi, field);
    if (test) out.test = test;
    return out;
  }
  if (cls === 2) {
    const kc = decodeKeyChangeFields(subclass, hi, field);
    if (kc) {
      out.keyChange = kc;
      return out;
    }
  }
  out.rnd = (hi >>> 24) & 0xf;
  out.tid = hi & 0xffffff;
  out.field = field;
  if (baseDate !== undefined) out.time = timeFromTid(out.tid, baseDate);
  if (cls === 0) out.amount = decodeAmount(field);
  if (cls === 2) out.value = WATT_SUBCLASSES.has(subclass) ? decodeAmountRaw(field) : field;
  return out;
}
