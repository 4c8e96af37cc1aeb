import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  generateTestStaTables,
  loadStaTables,
  tokensForRequest,
  TokenEngineError,
  type StaTables,
} from './index.js';
import { staDecrypt, staEncrypt, staPrepareKey } from './sta.js';
import { FIXTURES, readJsonl, tokenVectors } from './test-support.js';

/**
 * A deliberately naive STA written straight from STS.md (bit by bit on bigint), to check the
 * table-compiled implementation in sta.ts against an independent reading of the description.
 */
const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, n: bigint): bigint => ((x << n) | (x >> (64n - n))) & M64;
const rotr = (x: bigint, n: bigint): bigint => ((x >> n) | (x << (64n - n))) & M64;
function referenceSta(t: StaTables, dk: bigint, plain: bigint): bigint {
  let k = rotr(~dk & M64, 12n);
  let x = plain;
  for (let r = 0; r < 16; r++) {
    let sub = 0n;
    for (let n = 0n; n < 16n; n++) {
      const nib = Number((x >> (4n * n)) & 15n);
      const useS2 = ((k >> (4n * n + 3n)) & 1n) === 1n;
      sub |= BigInt((useS2 ? t.s2 : t.s1)[nib]!) << (4n * n);
    }
    let perm = 0n;
    for (let i = 0; i < 64; i++) if ((sub >> BigInt(i)) & 1n) perm |= 1n << BigInt(t.p[i]!);
    x = perm;
    k = rotl(k, 1n);
  }
  return x;
}

const toBlock = (x: bigint): Uint32Array => Uint32Array.of(Number(x >> 32n), Number(x & 0xffffffffn));
const fromBlock = (b: Uint32Array): bigint => (BigInt(b[0]!) << 32n) | BigInt(b[1]!);
const keyBytes = (x: bigint): Uint8Array =>
  Uint8Array.from(Buffer.from(x.toString(16).padStart(16, '0'), 'hex'));

const tables = generateTestStaTables();
const tmp = mkdtempSync(path.join(tmpdir(), 'mg-sta-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('STA test tables', () => {
  it('are deterministic and clearly labelled as TEST tables', () => {
    expect(tables.test).toBe(true);
    expect(tables.label).toMatch(/^TEST TABLES - NOT the STS production tables/);
    const fixture = JSON.parse(
      readFileSync(path.join(FIXTURES, 'sta-test-tables.json'), 'utf8'),
    ) as StaTables;
    expect({ s1: tables.s1, s2: tables.s2, p: tables.p }).toEqual({
      s1: fixture.s1,
      s2: fixture.s2,
      p: fixture.p,
    });
    expect(generateTestStaTables('another seed').p).not.toEqual(tables.p);
  });

  it('load from a file and from JSON text; the loaded set encrypts like the generated one', () => {
    const file = path.join(tmp, 'tables.json');
    writeFileSync(
      file,
      JSON.stringify({
        label: 'x',
        s1: tables.s1,
        s2: tables.s2.map((v) => v.toString(16)).join(''),
        p: tables.p,
      }),
    );
    const loaded = loadStaTables(file);
    expect(loaded.s2).toEqual(tables.s2);
    expect(loadStaTables(readFileSync(file, 'utf8')).p).toEqual(tables.p);
  });

  it.each([
    [
      {
        s1: [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
        s2: 'fedcba9876543210',
        p: [...Array(64).keys()],
      },
      's1',
    ],
    [{ s1: '0123456789abcdef', s2: 'fedcba9876543210', p: [...Array(63).keys()] }, 'p'],
    [{ s1: '0123456789abcdef', s2: 'fedcba98765432', p: [...Array(64).keys()] }, 's2'],
  ])('refuse a malformed set (%#) naming %s', (raw, field) => {
    expect(() => loadStaTables(raw)).toThrow(TokenEngineError);
    expect(() => loadStaTables(raw)).toThrow(field);
  });

  it('report an unreadable file by path and errno, never by content', () => {
    try {
      loadStaTables(path.join(tmp, 'missing.json'));
      expect.unreachable();
    } catch (e) {
      expect((e as TokenEngineError).code).toBe('MG_ERR_TOKEN_STA_TABLES_READ');
      expect((e as Error).message).toContain('ENOENT');
    }
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(bad, '{"s1": "secret-abcdef" ');
    expect(() => loadStaTables(bad)).toThrow(/not valid JSON/);
    expect(() => loadStaTables(bad)).not.toThrow(/secret/);
  });
});

describe('STA (EA07) with the test tables', () => {
  it('matches the bit-by-bit reference reading of STS.md', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: M64 }), (dk, plain) => {
        const b = toBlock(plain);
        staEncrypt(staPrepareKey(tables, keyBytes(dk)), b);
        expect(fromBlock(b)).toBe(referenceSta(tables, dk, plain));
      }),
      { numRuns: 100 },
    );
  });

  it('decrypts what it encrypts', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: M64 }), (dk, plain) => {
        const k = staPrepareKey(tables, keyBytes(dk));
        const b = toBlock(plain);
        staEncrypt(k, b);
        staDecrypt(k, b);
        expect(fromBlock(b)).toBe(plain);
      }),
      { numRuns: 300 },
    );
  });

  type Kat =
    | { kind: 'block'; decoderKey: string; plain: string; cipher: string }
    | { kind: 'request'; id: string; tokens: string[] };
  const kats = readJsonl<Kat>(path.join(FIXTURES, 'sta-test-known-answers.jsonl'));
  const requests = new Map(tokenVectors().map((v) => [v.id, v]));

  it.each(kats.filter((k) => k.kind === 'block') as Extract<Kat, { kind: 'block' }>[])(
    'known answer: key $decoderKey, plain $plain → $cipher',
    (k) => {
      const b = toBlock(BigInt(`0x${k.plain}`));
      staEncrypt(staPrepareKey(tables, Uint8Array.from(Buffer.from(k.decoderKey, 'hex'))), b);
      expect(fromBlock(b).toString(16).padStart(16, '0')).toBe(k.cipher);
    },
  );

  it.each(kats.filter((k) => k.kind === 'request') as Extract<Kat, { kind: 'request' }>[])(
    'known answer: EA07 vector request $id vended with the test tables',
    (k) => {
      expect(tokensForRequest(requests.get(k.id), { staTables: tables })).toEqual(k.tokens);
    },
  );
});
