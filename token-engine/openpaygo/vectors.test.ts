import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOpenPaygoToken, encodeOpenPaygoToken, openPaygoKeyFromHex, openPaygoLine } from '../index.js';
import { REPO_ROOT } from '../test-support.js';

/**
 * The test set published with EnAccess's OpenPAYGO Token reference implementation, in
 * ../shared/vectors (independent of our code). Missing file = failure, never a vacuous pass.
 */
const SHARED_VECTORS = path.resolve(REPO_ROOT, '..', 'shared', 'vectors');
const FILE = path.join(SHARED_VECTORS, 'openpaygo-tokens-published.jsonl');

function load(): Record<string, unknown>[] {
  if (!existsSync(FILE))
    throw new Error(`OpenPAYGO vectors missing: ${FILE} (clone shared/ beside the repository)`);
  return readFileSync(FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('OpenPAYGO published vectors', () => {
  const vectors = load();

  it('are all there (80 lines: two devices, every type, both digit sets, standard and extended)', () => {
    expect(vectors).toHaveLength(80);
  });

  it.each(vectors.map((v, i) => [i + 1, v] as const))('line %i reproduces token and new_count', (_, v) => {
    const { token: expectedToken, new_count: expectedCount, ...input } = v;
    const out = openPaygoLine(input);
    expect(out.token).toBe(expectedToken);
    expect(out.new_count).toBe(expectedCount);
    expect(out).toEqual(v);
  });

  it('every vector token decodes back on a device at the vector count', () => {
    for (const v of vectors) {
      const r = decodeOpenPaygoToken(
        v.token,
        { count: v.count as number, usedCounts: [] },
        {
          key: openPaygoKeyFromHex(v.key),
          startingCode: v.starting_code as number,
          restrictedDigitSet: v.restricted_digit_set as boolean,
        },
      );
      expect(r).toMatchObject({
        ok: true,
        type: v.token_type,
        tokenCount: v.new_count,
        extended: v.extended_token,
      });
      if (r.ok && v.value_raw !== null) expect(r.value).toBe(v.value_raw);
    }
  });

  it('the encoder agrees with the line form', () => {
    const v = vectors[0]!;
    expect(
      encodeOpenPaygoToken({
        key: v.key as string,
        startingCode: v.starting_code as number,
        count: v.count as number,
        type: 'ADD_TIME',
        value: v.value_raw as number,
      }),
    ).toEqual({ token: v.token, newCount: v.new_count });
  });
});
