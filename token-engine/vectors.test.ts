import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  decodeToken,
  deriveDecoderKey,
  bytesToHex,
  generateTestStaTables,
  tokensForRequest,
  TokenEngineError,
  decodeAmount,
  tidFromTime,
} from './index.js';
import { FIXTURES, keyVectors, requireSharedVector, tokenVectors } from './test-support.js';

// Public conformance vectors (independent of our code: ../shared/vectors, copied to fixtures/;
// the copy is checked equal to the shared file, and the shared file must exist).
const tokens = tokenVectors();
const keys = keyVectors();
const needsProductionTables = (v: { key: { ea: string }; token: Record<string, unknown> }): boolean =>
  v.key.ea === '07' && v.token.class !== 1;
const publicTokens = tokens.filter((v) => !needsProductionTables(v));
const staTokens = tokens.filter(needsProductionTables);

describe('vector fixtures', () => {
  it('hold the expected number of vectors', () => {
    expect(keys.length).toBe(4);
    expect(publicTokens.length).toBe(18);
    expect(staTokens.length).toBe(19);
  });

  it('equal ../shared/vectors, which must be beside the repository (a missing folder fails)', () => {
    for (const f of ['sts-tokens-public.jsonl', 'sts-keys-public.jsonl']) {
      const copy = readFileSync(path.join(FIXTURES, f), 'utf8');
      expect(readFileSync(requireSharedVector(f), 'utf8')).toBe(copy);
    }
  });
});

describe.each(keys)('decoder key $id', (v) => {
  it('derives the expected key', () => {
    expect(bytesToHex(deriveDecoderKey(v.key))).toBe(v.expectDecoderKey);
  });
});

describe.each(publicTokens)('token vector $id', (v) => {
  it('vends exactly the expected tokens', () => {
    expect(tokensForRequest(v)).toEqual(v.expect);
  });

  it('decodes back to the request fields with a good CRC', () => {
    const decoderKey = deriveDecoderKey(v.key);
    for (const [i, t] of v.expect.entries()) {
      const d = decodeToken(t, { decoderKey, ea: v.key.ea, baseDate: v.key.baseDate });
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.crcOk).toBe(true);
      if (v.token.kind === 'keyChange') {
        expect(d.cls).toBe(2);
        expect(d.subclass).toBe([3, 4, 8, 9][i]);
        expect(d.keyChange?.section).toBe(i + 1);
        continue;
      }
      expect(d.cls).toBe(v.token.class);
      expect(d.subclass).toBe(v.token.subclass);
      if (v.token.class === 1) {
        expect(d.test?.mfrCode).toBe(v.token.mfrCode);
        expect(d.test?.control).toBe(BigInt(`0x${String(v.token.control)}`));
        continue;
      }
      expect(d.rnd).toBe(v.rnd);
      expect(d.tid).toBe(v.tid ?? tidFromTime(new Date(v.time!), v.key.baseDate));
      if (v.token.class === 0) expect(d.amount).toBe(decodeAmount(d.field!));
      if (v.token.class === 0) expect(d.amount).toBe(v.token.amount);
      if (v.token.class === 2) expect(d.value).toBe(v.token.value);
    }
  });

  it('is rejected (CRC) under another meter key', () => {
    const other = { ...v.key, pan: '600727000000000017' };
    for (const t of v.expect) {
      const d = decodeToken(t, { decoderKey: deriveDecoderKey(other), ea: other.ea });
      if (v.token.class === 1) continue; // class 1 is not encrypted by design
      expect(d.ok && d.crcOk).toBe(false);
    }
  });
});

describe('EA07 (STA) vectors need the licensed production tables', () => {
  it.each(staTokens)('$id is reported as needing production tables, not silently vended', (v) => {
    let err: unknown;
    try {
      tokensForRequest(v);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokenEngineError);
    expect((err as TokenEngineError).code).toBe('MG_ERR_TOKEN_STA_TABLES_REQUIRED');
  });

  it('the generated TEST tables do not reproduce them (they are not the production set)', () => {
    const test = generateTestStaTables();
    const matches = staTokens.filter(
      (v) => JSON.stringify(tokensForRequest(v, { staTables: test })) === JSON.stringify(v.expect),
    );
    expect(matches).toEqual([]);
  });
});
