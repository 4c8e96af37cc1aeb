import { S7, S9 } from './misty1-sboxes.js';

/**
 * MISTY1 block cipher (RFC 2994), used by STS encryption algorithm EA11: 128-bit key, 64-bit
 * block, big-endian. Hand-written because no maintained npm package implements MISTY1 (Node's
 * OpenSSL does not ship it either); proven on the RFC 2994 Appendix B vectors in misty1.test.ts.
 * Works on 16/32-bit numbers only (no bigint) because it is the hot path of token generation.
 */

/** Expanded key EK[0..15] of RFC 2994 §2.4: EK[0..7] = K, EK[8..15] = K' = FI(K_i, K_{i+1}). */
export type Misty1Key = Uint16Array;

function fi(input: number, key: number): number {
  // RFC 2994 §2.3 FI: 9-bit and 7-bit halves through S9/S7, keyed by KI = KIi7 ‖ KIi9.
  let d9 = input >>> 7;
  let d7 = input & 0x7f;
  d9 = S9[d9]! ^ d7;
  d7 = (S7[d7]! ^ d9) & 0x7f;
  d7 ^= key >>> 9;
  d9 ^= key & 0x1ff;
  d9 = S9[d9]! ^ d7;
  return (d7 << 9) | d9;
}

export function misty1ExpandKey(key: Uint8Array): Misty1Key {
  if (key.length !== 16) throw new RangeError('MISTY1 needs a 16-byte key');
  const ek = new Uint16Array(16);
  for (let i = 0; i < 8; i++) ek[i] = (key[2 * i]! << 8) | key[2 * i + 1]!;
  for (let i = 0; i < 8; i++) ek[i + 8] = fi(ek[i]!, ek[(i + 1) & 7]!);
  return ek;
}

function fo(ek: Misty1Key, input: number, k: number): number {
  // RFC 2994 §2.3 FO with KOi1..4 = EK[k], EK[k+2], EK[k+7], EK[k+4]; KIi1..3 = EK'[k+5], EK'[k+1], EK'[k+3].
  let t0 = input >>> 16;
  let t1 = input & 0xffff;
  t0 ^= ek[k]!;
  t0 = fi(t0, ek[((k + 5) & 7) + 8]!);
  t0 ^= t1;
  t1 ^= ek[(k + 2) & 7]!;
  t1 = fi(t1, ek[((k + 1) & 7) + 8]!);
  t1 ^= t0;
  t0 ^= ek[(k + 7) & 7]!;
  t0 = fi(t0, ek[((k + 3) & 7) + 8]!);
  t0 ^= t1;
  t1 ^= ek[(k + 4) & 7]!;
  return ((t1 << 16) | t0) >>> 0;
}

function fl(ek: Misty1Key, input: number, k: number): number {
  // RFC 2994 §2.3 FL: KLi1/KLi2 alternate between K and K' depending on the parity of k.
  let d0 = input >>> 16;
  let d1 = input & 0xffff;
  if ((k & 1) === 0) {
    d1 ^= d0 & ek[k >>> 1]!;
    d0 ^= d1 | ek[(((k >>> 1) + 6) & 7) + 8]!;
  } else {
    d1 ^= d0 & ek[((((k - 1) >>> 1) + 2) & 7) + 8]!;
    d0 ^= d1 | ek[(((k - 1) >>> 1) + 4) & 7]!;
  }
  return ((d0 << 16) | d1) >>> 0;
}

function flInv(ek: Misty1Key, input: number, k: number): number {
  let d0 = input >>> 16;
  let d1 = input & 0xffff;
  if ((k & 1) === 0) {
    d0 ^= d1 | ek[(((k >>> 1) + 6) & 7) + 8]!;
    d1 ^= d0 & ek[k >>> 1]!;
  } else {
    d0 ^= d1 | ek[(((k - 1) >>> 1) + 4) & 7]!;
    d1 ^= d0 & ek[((((k - 1) >>> 1) + 2) & 7) + 8]!;
  }
  return ((d0 << 16) | d1) >>> 0;
}

/** Encrypt the block held as [high 32 bits, low 32 bits] in place. */
export function misty1Encrypt(ek: Misty1Key, block: Uint32Array): void {
  let d0 = block[0]!;
  let d1 = block[1]!;
  // RFC 2994 §2.1: 8 rounds, FL layers before every odd round and at the end.
  for (let r = 0; r < 8; r += 2) {
    d0 = fl(ek, d0, r);
    d1 = fl(ek, d1, r + 1);
    d1 = (d1 ^ fo(ek, d0, r)) >>> 0;
    d0 = (d0 ^ fo(ek, d1, r + 1)) >>> 0;
  }
  d0 = fl(ek, d0, 8);
  d1 = fl(ek, d1, 9);
  block[0] = d1;
  block[1] = d0;
}

/** Decrypt the block held as [high 32 bits, low 32 bits] in place. */
export function misty1Decrypt(ek: Misty1Key, block: Uint32Array): void {
  let d0 = block[1]!;
  let d1 = block[0]!;
  d0 = flInv(ek, d0, 8);
  d1 = flInv(ek, d1, 9);
  for (let r = 6; r >= 0; r -= 2) {
    d0 = (d0 ^ fo(ek, d1, r + 1)) >>> 0;
    d1 = (d1 ^ fo(ek, d0, r)) >>> 0;
    d0 = flInv(ek, d0, r);
    d1 = flInv(ek, d1, r + 1);
  }
  block[0] = d0;
  block[1] = d1;
}
