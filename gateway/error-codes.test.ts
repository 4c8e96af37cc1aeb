import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProtocolErrorCodes } from '../protocol/index.js';
import * as gateway from './index.js';
import * as billing from './billing/index.js';
import * as customers from './customers/index.js';
import * as metering from './metering/index.js';
import * as platform from './platform/index.js';
import * as prepaid from './prepaid/index.js';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const LITERAL = /(['"`])(MG_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*)\1/g;
const DECLARED_KEY = /^\s*(MG_ERR_[A-Z0-9_]+):\s*\{/gm;

/** Gateway source files (no tests, test fixtures or shared conformance suites). */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'test-fixtures' && name !== 'node_modules') out.push(...sources(path));
    } else if (
      name.endsWith('.ts') &&
      !name.endsWith('.test.ts') &&
      !name.includes('conformance') &&
      !name.endsWith('.d.ts')
    ) {
      out.push(path);
    }
  }
  return out;
}

describe('error registry coverage', () => {
  // Importing every domain loads every errors.ts, so every declaration is in the registry.
  const modules = [gateway, billing, customers, metering, platform, prepaid];
  const declared = new Set(platform.declaredErrorCodes());
  const files = sources(ROOT);
  const declaredIn = new Map<string, string>();
  const usedIn = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const rel = relative(ROOT, file);
    if (file.endsWith('errors.ts')) {
      for (const m of text.matchAll(DECLARED_KEY)) declaredIn.set(m[1]!, rel);
    }
    for (const m of text.matchAll(LITERAL)) {
      const code = m[2]!;
      usedIn.set(code, [...(usedIn.get(code) ?? []), rel]);
    }
  }

  it('loads the gateway and finds its declarations', () => {
    expect(modules.every((m) => Object.keys(m).length > 0)).toBe(true);
    expect(declaredIn.size).toBeGreaterThan(40);
    for (const code of declaredIn.keys()) expect(declared, `${code} not registered`).toContain(code);
  });

  it('uses no MG_ERR_ code that is not declared with defineErrors', () => {
    const protocol = new Set<string>(Object.values(ProtocolErrorCodes));
    const undeclared = [...usedIn.entries()]
      .filter(([code]) => !declared.has(code) && !protocol.has(code))
      .map(([code, where]) => `${code} (${[...new Set(where)].join(', ')})`);
    expect(undeclared).toEqual([]);
  });

  it('declares no code that is never used outside its declaration', () => {
    const unused = [...declaredIn.entries()]
      .filter(([code, file]) => !(usedIn.get(code) ?? []).some((where) => where !== file))
      .map(([code, file]) => `${code} (${file})`);
    expect(unused).toEqual([]);
  });

  it('declares each code once, each with its three languages', () => {
    const seen = new Map<string, string>();
    for (const file of files.filter((f) => f.endsWith('errors.ts'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(DECLARED_KEY)) {
        const code = m[1]!;
        expect(seen.get(code), `${code} declared twice`).toBeUndefined();
        seen.set(code, file);
        const def = platform.errorDefinition(code)!;
        for (const lang of platform.ERROR_LANGUAGES) expect(def[lang].trim()).not.toBe('');
        // A real translation: the three messages differ (Arabic in Arabic script).
        expect(def.fr).not.toBe(def.en);
        expect(def.ar).toMatch(/[\u0600-\u06FF]/);
      }
    }
  });
});
