import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { desDecryptBlock, desEncryptBlock, S_BOXES } from './des.js';

const word = (hex: string, i: number): number => parseInt(hex.slice(8 * i, 8 * i + 8), 16) >>> 0;
const enc = (key: string, plain: string): string => {
  const [h, l] = desEncryptBlock(word(key, 0), word(key, 1), word(plain, 0), word(plain, 1));
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
};
const dec = (key: string, cipher: string): string => {
  const [h, l] = desDecryptBlock(word(key, 0), word(key, 1), word(cipher, 0), word(cipher, 1));
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
};

/**
 * Published DES known answers: [key, plaintext, ciphertext, source].
 * NIST SP 800-17 (1998) Appendix B: Table B.1 variable plaintext (key 01…01, one plaintext bit
 * set), Table B.2 variable key (plaintext 0, one key bit set), Table B.3 permutation operation.
 * FIPS 81 (1980) Appendix B, Table B1: ECB mode, key 0123456789abcdef, "Now is the time for all ".
 */
const KNOWN_ANSWERS: [string, string, string, string][] = [
  ['0101010101010101', '8000000000000000', '95f8a5e5dd31d900', 'SP 800-17 B.1 round 1'],
  ['0101010101010101', '4000000000000000', 'dd7f121ca5015619', 'SP 800-17 B.1 round 2'],
  ['0101010101010101', '2000000000000000', '2e8653104f3834ea', 'SP 800-17 B.1 round 3'],
  ['0101010101010101', '0000000000000001', '166b40b44aba4bd6', 'SP 800-17 B.1 round 64'],
  ['8001010101010101', '0000000000000000', '95a8d72813daa94d', 'SP 800-17 B.2 round 1'],
  ['4001010101010101', '0000000000000000', '0eec1487dd8c26d5', 'SP 800-17 B.2 round 2'],
  ['1046913489980131', '0000000000000000', '88d55e54f54c97b4', 'SP 800-17 B.3 round 1'],
  ['0123456789abcdef', '4e6f772069732074', '3fa40e8a984d4815', 'FIPS 81 B1 block 1 "Now is t"'],
  ['0123456789abcdef', '68652074696d6520', '6a271787ab8883f9', 'FIPS 81 B1 block 2 "he time "'],
  ['0123456789abcdef', '666f7220616c6c20', '893d51ec4b563b53', 'FIPS 81 B1 block 3 "for all "'],
];

describe('DES (FIPS 46-3)', () => {
  it('has S-boxes whose rows are permutations of 0..15', () => {
    for (const box of S_BOXES) {
      expect(box).toHaveLength(64);
      for (let row = 0; row < 4; row++) {
        expect([...box.slice(row * 16, row * 16 + 16)].sort((a, b) => a - b)).toEqual([...Array(16).keys()]);
      }
    }
  });

  it.each(KNOWN_ANSWERS)('key %s, plaintext %s → %s (%s)', (key, plain, cipher) => {
    expect(enc(key, plain)).toBe(cipher);
    expect(dec(key, cipher)).toBe(plain);
  });

  it('agrees with OpenSSL 2-key triple DES under K‖K on 500 random keys and blocks', () => {
    for (let i = 0; i < 500; i++) {
      const key = randomBytes(8);
      const block = randomBytes(8);
      const ede = createCipheriv('des-ede-ecb', Buffer.concat([key, key]), null).setAutoPadding(false);
      expect(enc(key.toString('hex'), block.toString('hex'))).toBe(ede.update(block).toString('hex'));
    }
  });

  it('ignores the parity bits of the key', () => {
    expect(enc('0000000000000000', '0123456789abcdef')).toBe(enc('0101010101010101', '0123456789abcdef'));
  });
});
