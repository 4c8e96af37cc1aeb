import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TokenEngineError } from './errors.js';
import type { StaTables } from './types.js';

/**
 * STA S1/S2/P tables. The production tables are licensed key material (STS Association): they
 * are only ever loaded at run time from a file the operator supplies (`--sta-tables FILE` or
 * METERGATE_STA_TABLES) and never committed. For tests, simulators and the demo we generate a
 * clearly labelled TEST set from a fixed seed: tokens made with it are useless on real meters.
 *
 * File format (JSON): { "label": "...", "s1": [16 ints] | "hex16", "s2": ..., "p": [64 ints] }
 */
export const DEFAULT_TEST_SEED = 'metergate-test-tables';
export const TEST_LABEL_PREFIX = 'TEST TABLES - NOT the STS production tables';

/** Only this function does I/O in the token engine: reading an operator-supplied table file. */
export function loadStaTables(source: string | Record<string, unknown>): StaTables {
  let raw: unknown = source;
  if (typeof source === 'string') {
    let text = source;
    if (!source.trimStart().startsWith('{')) {
      try {
        text = readFileSync(source, 'utf8');
      } catch (err) {
        throw new TokenEngineError(
          'MG_ERR_TOKEN_STA_TABLES_READ',
          `${source}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
    try {
      raw = JSON.parse(text);
    } catch {
      // Never echo the content: it is key material.
      throw new TokenEngineError('MG_ERR_TOKEN_STA_TABLES_INVALID', 'not valid JSON');
    }
  }
  return validateStaTables(raw);
}

export function validateStaTables(raw: unknown): StaTables {
  if (raw === null || typeof raw !== 'object') throw invalid('expected an object with s1, s2, p');
  const o = raw as Record<string, unknown>;
  const s1 = nibbles(o.s1, 's1');
  const s2 = nibbles(o.s2, 's2');
  if (!Array.isArray(o.p) || o.p.length !== 64) throw invalid('p must have 64 entries');
  const p = o.p.map((x) => (typeof x === 'number' && Number.isInteger(x) ? x : -1));
  bijection(p, 64, 'p');
  const label = typeof o.label === 'string' ? o.label : 'STA tables';
  const test = o.test === true || label.startsWith(TEST_LABEL_PREFIX);
  return Object.freeze({ label, test, s1: Object.freeze(s1), s2: Object.freeze(s2), p: Object.freeze(p) });
}

function nibbles(v: unknown, name: string): number[] {
  let arr: number[];
  if (typeof v === 'string' && /^[0-9a-fA-F]{16}$/.test(v)) arr = [...v].map((c) => parseInt(c, 16));
  else if (Array.isArray(v) && v.length === 16)
    arr = v.map((x) => (typeof x === 'number' && Number.isInteger(x) ? x : -1));
  else throw invalid(`${name} must be 16 nibbles`);
  bijection(arr, 16, name);
  return arr;
}

function bijection(arr: number[], n: number, name: string): void {
  const seen = new Set<number>();
  for (const x of arr) {
    if (x < 0 || x >= n || seen.has(x)) throw invalid(`${name} is not a permutation of 0..${n - 1}`);
    seen.add(x);
  }
}

function invalid(detail: string): TokenEngineError {
  return new TokenEngineError('MG_ERR_TOKEN_STA_TABLES_INVALID', detail);
}

/**
 * Deterministic TEST tables: two 4-bit bijections and a 64-bit permutation shuffled (Fisher-Yates)
 * with a SHA-256 counter-mode stream of the seed. Same seed → same tables on every machine.
 */
export function generateTestStaTables(seed: string = DEFAULT_TEST_SEED): StaTables {
  let counter = 0;
  let pool: number[] = [];
  const next32 = (): number => {
    if (pool.length === 0) {
      const h = createHash('sha256').update(`${seed}\u0000${counter++}`).digest();
      pool = Array.from({ length: 8 }, (_, i) => h.readUInt32BE(4 * i));
    }
    return pool.shift()!;
  };
  const below = (n: number): number => {
    // Rejection sampling keeps the shuffle unbiased.
    const limit = Math.floor(0x100000000 / n) * n;
    for (;;) {
      const x = next32();
      if (x < limit) return x % n;
    }
  };
  const shuffle = (n: number): number[] => {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = below(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  const s1 = shuffle(16);
  let s2 = shuffle(16);
  while (s2.every((x, i) => x === s1[i])) s2 = shuffle(16);
  const p = shuffle(64);
  return validateStaTables({ label: `${TEST_LABEL_PREFIX} (seed "${seed}")`, test: true, s1, s2, p });
}
