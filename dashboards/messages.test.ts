import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEB_ROOT } from './index.js';

// The browser module is plain JavaScript with no DOM use at import time, so Node loads it as is
// (through a variable path: the type checker does not look into browser code).
const MESSAGES_MODULE = './web/lib/messages.js';
const { MESSAGES } = (await import(MESSAGES_MODULE)) as {
  MESSAGES: Record<'fr' | 'ar' | 'en', Record<string, string>>;
};

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

describe('UI messages', () => {
  it('French, Arabic and English have the same keys and no empty text', () => {
    const fr = Object.keys(MESSAGES.fr).sort();
    expect(Object.keys(MESSAGES.en).sort()).toEqual(fr);
    expect(Object.keys(MESSAGES.ar).sort()).toEqual(fr);
    for (const table of [MESSAGES.fr, MESSAGES.ar, MESSAGES.en]) {
      for (const [k, v] of Object.entries(table)) expect(v.trim(), k).not.toBe('');
    }
  });

  it('Arabic text is Arabic (brand and unit names aside) and keeps every placeholder', () => {
    const notArabic = Object.entries(MESSAGES.ar)
      .filter(
        ([k, v]) =>
          !/[\u0600-\u06FF]/.test(v) && !['comparison.change', 'outbox.channel.webhook'].includes(k),
      )
      .map(([k]) => k);
    expect(notArabic).toEqual([]);
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of Object.entries(MESSAGES.fr)) {
      expect(holes(MESSAGES.ar[k]!), k).toEqual(holes(v));
      expect(holes(MESSAGES.en[k]!), k).toEqual(holes(v));
    }
  });

  it('every literal t(key) used by the views exists', () => {
    const missing: string[] = [];
    for (const file of jsFiles(DEFAULT_WEB_ROOT)) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/\bt\('([a-zA-Z]+\.[a-zA-Z_.]+)'/g)) {
        if (!(m[1]! in MESSAGES.fr)) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
