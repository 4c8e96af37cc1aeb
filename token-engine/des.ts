/**
 * Single DES (FIPS 46-3), one 64-bit block, for DKGA02 (IEC 62055-41 decoder key generation).
 *
 * Why our own: Node's OpenSSL 3 has single DES only in the legacy provider, which Node does not
 * load (`createCipheriv('des-ecb')` throws "unsupported" on Node 20 and 24); the only other
 * source was a private API of node-forge (issue 18.5). DES is tiny and fixed, so it is written
 * here straight from the FIPS 46-3 tables and checked in des.test.ts against the published known
 * answers (NIST SP 800-17 Appendix B, FIPS 81 Appendix B) and against OpenSSL's 2-key triple DES
 * with K‖K, which equals single DES under K.
 *
 * Blocks and keys are (hi, lo) pairs of unsigned 32-bit words, bit 1 of the standard being the
 * most significant bit of `hi`. Not constant time (table lookups): DKGA02 runs in the vending
 * back office, not on a device an attacker can time.
 */

// FIPS 46-3 tables, 1-based bit positions counted from the most significant bit.
const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40,
  32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5,
  63, 55, 47, 39, 31, 23, 15, 7,
];
const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22,
  11, 4, 25,
];
const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];
const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47,
  55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];
const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];
/** S1..S8, each 4 rows of 16 (row = b1b6, column = b2b3b4b5). */
export const S_BOXES: readonly (readonly number[])[] = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3,
    8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6,
    13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11,
    5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5,
    14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15,
    1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2,
    12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14,
    9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2,
    14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8,
    6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4,
    5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3,
    8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8,
    13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8,
    6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3,
    12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9,
    2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6,
    11,
  ],
];

/** FP = IP⁻¹. */
const FP = IP.map((_, i) => IP.indexOf(i + 1) + 1);

/** SP[i][v] = P(S_{i+1}(v) placed in its nibble): the S-box and the permutation in one lookup. */
const SP: Uint32Array[] = S_BOXES.map((box, i) => {
  const t = new Uint32Array(64);
  for (let v = 0; v < 64; v++) {
    const row = ((v >>> 4) & 2) | (v & 1);
    const col = (v >>> 1) & 0xf;
    const s = box[row * 16 + col]! << (28 - 4 * i);
    let out = 0;
    for (let j = 0; j < 32; j++) out |= ((s >>> (32 - P[j]!)) & 1) << (31 - j);
    t[v] = out >>> 0;
  }
  return t;
});

const bitOf = (hi: number, lo: number, pos: number): number =>
  pos <= 32 ? (hi >>> (32 - pos)) & 1 : (lo >>> (64 - pos)) & 1;

/** Permute a 64-bit (hi, lo) block through a 64-entry table. */
function permute64(hi: number, lo: number, table: readonly number[], out: [number, number]): void {
  let h = 0;
  let l = 0;
  for (let j = 0; j < 32; j++) h |= bitOf(hi, lo, table[j]!) << (31 - j);
  for (let j = 0; j < 32; j++) l |= bitOf(hi, lo, table[32 + j]!) << (31 - j);
  out[0] = h >>> 0;
  out[1] = l >>> 0;
}

/** The 16 round keys, each as eight 6-bit groups (K1 first). */
export function desKeySchedule(keyHi: number, keyLo: number): Uint8Array {
  // PC-1 gives C (28 bits) and D (28 bits); parity bits 8, 16, … 64 are dropped.
  let c = 0;
  let d = 0;
  for (let j = 0; j < 28; j++) c = (c << 1) | bitOf(keyHi, keyLo, PC1[j]!);
  for (let j = 28; j < 56; j++) d = (d << 1) | bitOf(keyHi, keyLo, PC1[j]!);
  const ks = new Uint8Array(16 * 8);
  const rotl28 = (x: number, n: number): number => ((x << n) | (x >>> (28 - n))) & 0xfffffff;
  for (let r = 0; r < 16; r++) {
    c = rotl28(c, SHIFTS[r]!);
    d = rotl28(d, SHIFTS[r]!);
    // PC-2 picks 48 of the 56 bits of C‖D (positions 1..28 from C, 29..56 from D).
    for (let g = 0; g < 8; g++) {
      let v = 0;
      for (let b = 0; b < 6; b++) {
        const pos = PC2[g * 6 + b]!;
        const bit = pos <= 28 ? (c >>> (28 - pos)) & 1 : (d >>> (56 - pos)) & 1;
        v = (v << 1) | bit;
      }
      ks[r * 8 + g] = v;
    }
  }
  return ks;
}

/** f(R, K) = P(S(E(R) ⊕ K)). E's group g is R's bits 4g..4g+5 (bit 0 ≡ 32, 33 ≡ 1). */
function feistel(r: number, ks: Uint8Array, round: number): number {
  let out = 0;
  for (let g = 0; g < 8; g++) {
    const n = (4 * g + 31) & 31; // rotate left so that bit 4g becomes the top bit
    const rot = n === 0 ? r : (r << n) | (r >>> (32 - n));
    out |= SP[g]![((rot >>> 26) & 63) ^ ks[round * 8 + g]!]!;
  }
  return out >>> 0;
}

function crypt(ks: Uint8Array, hi: number, lo: number, decrypt: boolean, out: [number, number]): void {
  permute64(hi >>> 0, lo >>> 0, IP, out);
  let l = out[0];
  let r = out[1];
  for (let i = 0; i < 16; i++) {
    const next = (l ^ feistel(r, ks, decrypt ? 15 - i : i)) >>> 0;
    l = r;
    r = next;
  }
  // The last round does not swap: the pre-output block is R16‖L16.
  permute64(r, l, FP, out);
}

/** DES encryption of one block. */
export function desEncryptBlock(keyHi: number, keyLo: number, hi: number, lo: number): [number, number] {
  const out: [number, number] = [0, 0];
  const ks = desKeySchedule(keyHi >>> 0, keyLo >>> 0);
  crypt(ks, hi, lo, false, out);
  ks.fill(0); // round keys are key material
  return out;
}

/** DES decryption of one block (tests and completeness; DKGA02 only encrypts). */
export function desDecryptBlock(keyHi: number, keyLo: number, hi: number, lo: number): [number, number] {
  const out: [number, number] = [0, 0];
  const ks = desKeySchedule(keyHi >>> 0, keyLo >>> 0);
  crypt(ks, hi, lo, true, out);
  ks.fill(0); // round keys are key material
  return out;
}
