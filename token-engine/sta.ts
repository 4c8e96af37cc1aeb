import type { StaTables } from './types.js';

/**
 * EA07 STA (Standard Transfer Algorithm, IEC 62055-41): 16 rounds over the 64-bit block.
 *   key schedule start: k = rotr64(~DK, 12)
 *   each round: nibble n (bits 4n..4n+3) goes through S2 if key bit 4n+3 is 1, else S1;
 *               bits are permuted (output bit P[i] = input bit i); then k = rotl64(k, 1).
 * Decryption runs the rounds backwards with the inverse tables.
 * The S1/S2/P tables are run-time data (see sta-tables.ts). For speed each table set is compiled
 * once into per-byte lookup tables that fuse substitution and permutation, so a round is 8
 * lookups on 32-bit halves instead of 64 bit moves (no bigint on the hot path).
 */
export const STA_ROUNDS = 16;

type CompiledSta = {
  /** [(byte*4 + sel)*256 + v] → permuted contribution, high and low 32-bit halves. */
  encHi: Uint32Array;
  encLo: Uint32Array;
  /** inverse permutation per input byte: [byte*256 + v]. */
  invPermHi: Uint32Array;
  invPermLo: Uint32Array;
  /** inverse substitution of a byte: [sel*256 + v]. */
  invSub: Uint8Array;
};

const compiled = new WeakMap<StaTables, CompiledSta>();

function compile(t: StaTables): CompiledSta {
  const hit = compiled.get(t);
  if (hit) return hit;
  const s = [t.s1, t.s2];
  const inv = [new Array<number>(16), new Array<number>(16)];
  for (let x = 0; x < 16; x++) {
    inv[0]![t.s1[x]!] = x;
    inv[1]![t.s2[x]!] = x;
  }
  const pinv = new Array<number>(64);
  for (let i = 0; i < 64; i++) pinv[t.p[i]!] = i;
  const encHi = new Uint32Array(8 * 4 * 256);
  const encLo = new Uint32Array(8 * 4 * 256);
  const invPermHi = new Uint32Array(8 * 256);
  const invPermLo = new Uint32Array(8 * 256);
  const invSub = new Uint8Array(4 * 256);
  for (let sel = 0; sel < 4; sel++) {
    for (let v = 0; v < 256; v++) {
      const lo = s[sel & 1]![v & 15]!;
      const hi = s[sel >> 1]![v >> 4]!;
      const sub = (hi << 4) | lo;
      invSub[sel * 256 + v] = (inv[sel >> 1]![v >> 4]! << 4) | inv[sel & 1]![v & 15]!;
      for (let j = 0; j < 8; j++) {
        let oh = 0;
        let ol = 0;
        for (let b = 0; b < 8; b++) {
          if (((sub >> b) & 1) === 0) continue;
          const q = t.p[8 * j + b]!;
          if (q >= 32) oh |= 1 << (q - 32);
          else ol |= 1 << q;
        }
        encHi[(j * 4 + sel) * 256 + v] = oh >>> 0;
        encLo[(j * 4 + sel) * 256 + v] = ol >>> 0;
      }
    }
  }
  for (let j = 0; j < 8; j++) {
    for (let v = 0; v < 256; v++) {
      let oh = 0;
      let ol = 0;
      for (let b = 0; b < 8; b++) {
        if (((v >> b) & 1) === 0) continue;
        const q = pinv[8 * j + b]!;
        if (q >= 32) oh |= 1 << (q - 32);
        else ol |= 1 << q;
      }
      invPermHi[j * 256 + v] = oh >>> 0;
      invPermLo[j * 256 + v] = ol >>> 0;
    }
  }
  const c = { encHi, encLo, invPermHi, invPermLo, invSub };
  compiled.set(t, c);
  return c;
}

/** A decoder key bound to a compiled table set. */
export type StaKey = { tables: CompiledSta; k0hi: number; k0lo: number };

export function staPrepareKey(tables: StaTables, dk: Uint8Array): StaKey {
  if (dk.length !== 8) throw new RangeError('STA needs an 8-byte key');
  const hi = ~((dk[0]! << 24) | (dk[1]! << 16) | (dk[2]! << 8) | dk[3]!) >>> 0;
  const lo = ~((dk[4]! << 24) | (dk[5]! << 16) | (dk[6]! << 8) | dk[7]!) >>> 0;
  // rotr64(~DK, 12)
  return {
    tables: compile(tables),
    k0hi: ((hi >>> 12) | (lo << 20)) >>> 0,
    k0lo: ((lo >>> 12) | (hi << 20)) >>> 0,
  };
}

/** Selector bits of byte j of the key: key bit 8j+3 (low nibble) and 8j+7 (high nibble). */
function sel(khi: number, klo: number, j: number): number {
  const kb = j < 4 ? klo >>> (8 * j) : khi >>> (8 * (j - 4));
  return ((kb >>> 3) & 1) | ((kb >>> 6) & 2);
}

/** Encrypt [high, low] in place. */
export function staEncrypt(key: StaKey, block: Uint32Array): void {
  const { encHi, encLo } = key.tables;
  let hi = block[0]!;
  let lo = block[1]!;
  let khi = key.k0hi;
  let klo = key.k0lo;
  for (let r = 0; r < STA_ROUNDS; r++) {
    let oh = 0;
    let ol = 0;
    for (let j = 0; j < 8; j++) {
      const v = (j < 4 ? lo >>> (8 * j) : hi >>> (8 * (j - 4))) & 0xff;
      const idx = ((j * 4 + sel(khi, klo, j)) << 8) | v;
      oh |= encHi[idx]!;
      ol |= encLo[idx]!;
    }
    hi = oh >>> 0;
    lo = ol >>> 0;
    const carry = khi >>> 31;
    khi = ((khi << 1) | (klo >>> 31)) >>> 0;
    klo = ((klo << 1) | carry) >>> 0;
  }
  block[0] = hi;
  block[1] = lo;
}

/** Decrypt [high, low] in place. */
export function staDecrypt(key: StaKey, block: Uint32Array): void {
  const { invPermHi, invPermLo, invSub } = key.tables;
  const kh = new Uint32Array(STA_ROUNDS);
  const kl = new Uint32Array(STA_ROUNDS);
  let khi = key.k0hi;
  let klo = key.k0lo;
  for (let r = 0; r < STA_ROUNDS; r++) {
    kh[r] = khi;
    kl[r] = klo;
    const carry = khi >>> 31;
    khi = ((khi << 1) | (klo >>> 31)) >>> 0;
    klo = ((klo << 1) | carry) >>> 0;
  }
  let hi = block[0]!;
  let lo = block[1]!;
  for (let r = STA_ROUNDS - 1; r >= 0; r--) {
    let ph = 0;
    let pl = 0;
    for (let j = 0; j < 8; j++) {
      const v = (j < 4 ? lo >>> (8 * j) : hi >>> (8 * (j - 4))) & 0xff;
      ph |= invPermHi[(j << 8) | v]!;
      pl |= invPermLo[(j << 8) | v]!;
    }
    let oh = 0;
    let ol = 0;
    for (let j = 0; j < 8; j++) {
      const v = (j < 4 ? pl >>> (8 * j) : ph >>> (8 * (j - 4))) & 0xff;
      const b = invSub[(sel(kh[r]!, kl[r]!, j) << 8) | v]!;
      if (j < 4) ol |= b << (8 * j);
      else oh |= b << (8 * (j - 4));
    }
    hi = oh >>> 0;
    lo = ol >>> 0;
  }
  block[0] = hi;
  block[1] = lo;
}
