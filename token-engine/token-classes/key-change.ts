import { buildToken } from '../block.js';
import { prepareCipher } from '../cipher.js';
import { TokenEngineError } from '../errors.js';
import type { Ea, StaTables } from '../types.js';
import { intField } from './fields.js';

/**
 * Key change tokens (IEC 62055-41 class 2 Set1stSectionDecoderKey …): no TID or RND, encrypted
 * with the CURRENT key, carrying the new one. Below the subclass, 44 payload bits:
 *   1st (2/3): KENHO(4) | KRN(4) | RO(1) | 0(1) | KT(2) | NKHO(32)
 *   2nd (2/4): KENLO(4) | TI(8)  | NKLO(32)
 *   3rd (2/8): SGC low 12 bits  | NKMO2(32)     (128-bit MISTY1 keys only)
 *   4th (2/9): SGC high 12 bits | NKMO1(32)
 * 64-bit key = NKHO ‖ NKLO; 128-bit key = NKHO ‖ NKMO2 ‖ NKMO1 ‖ NKLO. The SGC travels as a binary
 * number (24 bits; the public vector 04-CTSA05-1 carries 123457 = 0x01E241 this way, not as BCD).
 */
export const KEY_CHANGE_SUBCLASSES = [3, 4, 8, 9] as const;
const CLASS = 2;

export type KeyChangeRequest = {
  currentDecoderKey: Uint8Array;
  ea: Ea;
  staTables?: StaTables;
  /** 8 bytes (two sections) or 16 bytes (four sections). */
  newDecoderKey: Uint8Array;
  /** Parameters of the NEW key. */
  ken: number;
  krn: number;
  ti: number;
  kt: number;
  /** Rollover: the meter clears its TID memory. */
  ro: 0 | 1;
  /** Supply group code (6 digits) of the new key; required for 16-byte keys. */
  sgc?: string;
};

const word = (k: Uint8Array, i: number): number =>
  ((k[i]! << 24) | (k[i + 1]! << 16) | (k[i + 2]! << 8) | k[i + 3]!) >>> 0;

export function generateKeyChangeTokens(req: KeyChangeRequest): string[] {
  const nk = req.newDecoderKey;
  if (!(nk instanceof Uint8Array) || (nk.length !== 8 && nk.length !== 16)) {
    throw new TokenEngineError('MG_ERR_TOKEN_DECODER_KEY', 'newDecoderKey must be 8 or 16 bytes');
  }
  const ken = intField(req.ken, 0, 255, 'ken');
  const krn = intField(req.krn, 1, 9, 'krn');
  const ti = intField(req.ti, 0, 99, 'ti');
  const kt = intField(req.kt, 0, 3, 'kt');
  const ro = intField(req.ro, 0, 1, 'ro');
  const cipher = prepareCipher({ decoderKey: req.currentDecoderKey, ea: req.ea, staTables: req.staTables });
  const long = nk.length === 16;
  const nkho = word(nk, 0);
  const nklo = word(nk, long ? 12 : 4);
  const section = (subclass: number, top12: number, w: number): string =>
    buildToken(CLASS, ((subclass << 28) | (top12 << 16) | (w >>> 16)) >>> 0, w & 0xffff, cipher);
  const tokens = [
    section(3, ((ken >>> 4) << 8) | (krn << 4) | (ro << 3) | kt, nkho),
    section(4, ((ken & 0xf) << 8) | ti, nklo),
  ];
  if (long) {
    if (typeof req.sgc !== 'string' || !/^\d{6}$/.test(req.sgc)) {
      throw new TokenEngineError(
        'MG_ERR_TOKEN_FIELD_RANGE',
        'sgc (6 digits) is required for a 16-byte key change',
      );
    }
    const sgc = parseInt(req.sgc, 10);
    tokens.push(section(8, sgc & 0xfff, word(nk, 4)), section(9, sgc >>> 12, word(nk, 8)));
  }
  return tokens;
}

/** The fields one key change section carries (for decoding). */
export type KeyChangeSection =
  | { section: 1; kenHo: number; krn: number; ro: 0 | 1; kt: number; nkho: number }
  | { section: 2; kenLo: number; ti: number; nklo: number }
  | { section: 3; sgcLo: number; nkmo2: number }
  | { section: 4; sgcHi: number; nkmo1: number };

export function decodeKeyChangeFields(subclass: number, hi: number, field: number): KeyChangeSection | null {
  const top12 = (hi >>> 16) & 0xfff;
  const w = (((hi & 0xffff) << 16) | field) >>> 0;
  switch (subclass) {
    case 3:
      return {
        section: 1,
        kenHo: top12 >>> 8,
        krn: (top12 >>> 4) & 0xf,
        ro: ((top12 >>> 3) & 1) as 0 | 1,
        kt: top12 & 3,
        nkho: w,
      };
    case 4:
      return { section: 2, kenLo: top12 >>> 8, ti: top12 & 0xff, nklo: w };
    case 8:
      return { section: 3, sgcLo: top12, nkmo2: w };
    case 9:
      return { section: 4, sgcHi: top12, nkmo1: w };
    default:
      return null;
  }
}
