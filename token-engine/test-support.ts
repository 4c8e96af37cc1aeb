import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeterKey } from './types.js';

/**
 * Test helpers: the public vectors are read from the copies in token-engine/fixtures/ (so tests
 * never depend on a sibling folder); vectors.test.ts checks they equal ../shared/vectors when
 * that folder is present (the CI clone has `shared/` beside the repository).
 */
export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const REPO_ROOT = path.resolve(FIXTURES, '../..');
export const SHARED_VECTORS = path.resolve(REPO_ROOT, '..', 'shared', 'vectors');

export type TokenVector = {
  id: string;
  key: MeterKey;
  newKey?: MeterKey;
  tid?: number;
  time?: string;
  rnd?: number;
  token: Record<string, unknown>;
  expect: string[];
};
export type KeyVector = { id: string; key: MeterKey; expectDecoderKey: string };

export function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export const tokenVectors = (): TokenVector[] =>
  readJsonl<TokenVector>(path.join(FIXTURES, 'sts-tokens-public.jsonl'));
export const keyVectors = (): KeyVector[] =>
  readJsonl<KeyVector>(path.join(FIXTURES, 'sts-keys-public.jsonl'));
/** Path of a shared vector file; throws (fails the test) when ../shared/vectors lacks it. */
export function requireSharedVector(file: string): string {
  const p = path.join(SHARED_VECTORS, file);
  if (!existsSync(p))
    throw new Error(`conformance vectors missing: ${p} (clone shared/ beside the repository)`);
  return p;
}

export const MISTY_KEY: MeterKey = {
  dkga: '04',
  ea: '11',
  vendingKey: 'abababababababab949494949494949401234567',
  sgc: '123457',
  ti: 1,
  krn: 1,
  kt: 2,
  ken: 255,
  baseDate: 1993,
  pan: '600727000000000009',
};
export const STA_KEY: MeterKey = {
  dkga: '02',
  ea: '07',
  vendingKey: 'abababababababab',
  sgc: '123456',
  ti: 1,
  krn: 1,
  kt: 2,
  ken: 255,
  baseDate: 1993,
  pan: '600727000000000009',
};
