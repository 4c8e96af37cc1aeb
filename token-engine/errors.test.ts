import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextTid, TOKEN_ERRORS, TokenEngineError } from './index.js';
import { FIXTURES, REPO_ROOT } from './test-support.js';

describe('error codes', () => {
  it('every MG_ERR_TOKEN_* code used in the token engine and its CLI is documented in errors.ts', () => {
    const dirs = ['.', 'token-classes', 'openpaygo'].map((d) => path.join(path.dirname(FIXTURES), d));
    const files = dirs.flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .map((f) => path.join(d, f)),
    );
    files.push(path.join(REPO_ROOT, 'cli/commands/token.ts'));
    const used = new Set(files.flatMap((f) => readFileSync(f, 'utf8').match(/MG_ERR_TOKEN_[A-Z_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    for (const c of used) expect(Object.keys(TOKEN_ERRORS)).toContain(c);
  });

  it('carry a stable code and a message naming the problem', () => {
    const e = new TokenEngineError('MG_ERR_TOKEN_PAN', 'check digit');
    expect(e.code).toBe('MG_ERR_TOKEN_PAN');
    expect(e.message).toContain('check digit');
  });
});

describe('nextTid', () => {
  it('bumps past the last vended TID so one meter never sees a TID twice', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const t = nextTid(now, 2014);
    expect(nextTid(now, 2014, t)).toBe(t + 1);
    expect(nextTid(now, 2014, t - 10)).toBe(t);
    expect(() => nextTid(now, 2014, 2 ** 24 - 1)).toThrow(/no TID left/);
  });
});

describe('KEN refusal when vending', () => {
  it('refuses a TID past the key expiry number and vends up to it', async () => {
    const { generateCreditToken, generateManagementToken } = await import('./index.js');
    const k = { decoderKey: new Uint8Array(16), ea: '11' as const, rnd: 1, ken: 2 };
    expect(() => generateCreditToken({ ...k, subclass: 0, units: 1, tid: 3 * 65536 })).toThrow(/KEN 2/);
    expect(() => generateManagementToken({ ...k, subclass: 5, value: 0, tid: 3 * 65536 })).toThrow(
      TokenEngineError,
    );
    expect(generateCreditToken({ ...k, subclass: 0, units: 1, tid: 3 * 65536 - 1 })).toMatch(/^\d{20}$/);
  });
});
