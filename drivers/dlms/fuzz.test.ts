import { describe, expect, it } from 'vitest';
import {
  decodeAare,
  decodeAarq,
  decodeInitiateRequest,
  decodeInitiateResponse,
  decodeRlre,
  decodeRlrq,
} from './acse.js';
import { decodeDataBytes } from './axdr.js';
import { fromHex } from './bytes.js';
import { DlmsError } from './errors.js';
import { decodeFrame, decodeParameters, HdlcSplitter } from './hdlc-frame.js';
import { decodeCiphered, unprotect } from './security.js';
import { listRecordings, loadRecording } from './testing/recordings.js';
import { decodeWrapper, WrapperSplitter } from './wrapper.js';
import { decodeXdlms } from './xdlms.js';

/**
 * 100,000 random and mutated frames and APDUs through every decoder: each must either decode or
 * throw a DlmsError (typed, with a code), never another exception, never hang. The mutation corpus
 * is the recorded conversations, so mutations stay close to real traffic. Seeded: reproducible.
 */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const corpus: Uint8Array[] = [];
for (const name of listRecordings()) {
  for (const f of loadRecording(name).frames) {
    corpus.push(fromHex(f.hex));
    if (f.apdu) corpus.push(fromHex(f.apdu));
    if (f.hex.startsWith('0001') && f.hex.length > 16) corpus.push(fromHex(f.hex.slice(16)));
  }
}

const keys = {
  ek: fromHex('000102030405060708090a0b0c0d0e0f'),
  ak: fromHex('d0d1d2d3d4d5d6d7d8d9dadbdcdddedf'),
};
const title = Buffer.from('ABCDEFGH');

const DECODERS: [string, (b: Uint8Array) => unknown][] = [
  ['wrapper', decodeWrapper],
  ['wrapper stream', (b) => new WrapperSplitter().push(b)],
  ['hdlc frame', decodeFrame],
  ['hdlc stream', (b) => new HdlcSplitter().push(b)],
  ['hdlc parameters', (b) => decodeParameters(b)],
  ['xdlms', decodeXdlms],
  ['a-xdr data', decodeDataBytes],
  ['aarq', decodeAarq],
  ['aare', decodeAare],
  ['rlrq', decodeRlrq],
  ['rlre', decodeRlre],
  ['initiate request', decodeInitiateRequest],
  ['initiate response', decodeInitiateResponse],
  ['ciphered', (b) => unprotect(decodeCiphered(b).content, title, keys)],
];

function mutate(r: () => number, src: Uint8Array): Uint8Array {
  const b = Array.from(src);
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const op = r();
    const i = Math.floor(r() * (b.length + 1));
    if (op < 0.35 && b.length) b[Math.min(i, b.length - 1)] = Math.floor(r() * 256);
    else if (op < 0.5) b.splice(i, 0, Math.floor(r() * 256));
    else if (op < 0.65) b.splice(i, 1 + Math.floor(r() * 8));
    else if (op < 0.8)
      b.length = Math.min(b.length, i); // truncate
    else if (op < 0.9 && b.length)
      b[Math.min(i, b.length - 1)] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xff][Math.floor(r() * 7)]!;
    else b.splice(i, 0, ...b.slice(0, Math.floor(r() * 16))); // duplicate a prefix
  }
  return Uint8Array.from(b);
}

describe('DLMS decoders under fuzzing', () => {
  it('100,000 random and mutated inputs: decoded or a typed DlmsError', () => {
    expect(corpus.length).toBeGreaterThan(300);
    const r = rng(0x19d1);
    const codes = new Map<string, number>();
    let decoded = 0;
    for (let i = 0; i < 100_000; i++) {
      let input: Uint8Array;
      if (i % 4 === 0) {
        input = new Uint8Array(Math.floor(r() * 64));
        for (let k = 0; k < input.length; k++) input[k] = Math.floor(r() * 256);
      } else input = mutate(r, corpus[Math.floor(r() * corpus.length)]!);
      const [name, decode] = DECODERS[i % DECODERS.length]!;
      try {
        decode(input);
        decoded++;
      } catch (err) {
        if (!(err instanceof DlmsError))
          throw new Error(`${name} threw ${String(err)} on ${Buffer.from(input).toString('hex')}`);
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
      }
    }
    expect(decoded).toBeGreaterThan(0);
    expect([...codes.keys()]).toEqual(
      expect.arrayContaining(['MG_ERR_DLMS_DECODE', 'MG_ERR_DLMS_FRAME', 'MG_ERR_DLMS_CRC']),
    );
  });
});
