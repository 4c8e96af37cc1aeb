/**
 * Browser support for the dashboards' end-to-end tests: Debian's Chromium driven by
 * playwright-core (never a downloaded browser), axe-core injected from node_modules, and
 * screenshots saved under test-artifacts/ (gitignored) for a person to look at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireCommand } from '../support/services.js';

export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboards');

export async function launchChromium(): Promise<Browser> {
  const executablePath = requireCommand('chromium', 'chromium');
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core on the current page (WCAG 2.1 A/AA rules); returns serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Through the DevTools protocol, as a console would: the dashboards' CSP (script-src 'self')
  // rightly refuses an inline <script>, and the page is checked under its real policy.
  const cdp = await page.context().newCDPSession(page);
  const injected = await cdp.send('Runtime.evaluate', { expression: AXE_SOURCE });
  await cdp.detach();
  if (injected.exceptionDetails) throw new Error(`axe-core did not load: ${injected.exceptionDetails.text}`);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{
            violations: Array<{
              id: string;
              impact: string | null;
              help: string;
              nodes: Array<{ target: unknown[] }>;
            }>;
          }>;
        };
      }
    ).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Signs in through the login form, as a person would. */
export async function signIn(page: Page, baseUrl: string, apiKey: string, hash = ''): Promise<void> {
  await page.goto(`${baseUrl}/ui/${hash}`);
  await page.getByLabel(/Clé d’API|API key/).fill(apiKey);
  await page.getByRole('button', { name: /Se connecter|Sign in/ }).click();
  await page.getByRole('button', { name: /Se déconnecter|Sign out/ }).waitFor();
}

/** Something a page did wrong: an uncaught error, a console error, a failed or refused request. */
export interface PageTrouble {
  kind: 'pageerror' | 'console' | 'http' | 'requestfailed';
  text: string;
  /** The request's path and query (http, requestfailed) or the console message's source. */
  url: string;
  status?: number;
  /** Order of arrival, comparable with `PageWatch.mark()`. */
  seq: number;
}

export interface PageWatch {
  troubles: PageTrouble[];
  /** API requests started so far (path and query), with their arrival order. */
  requests: { url: string; seq: number }[];
  /** A point in the page's history: what arrives after it has a higher `seq`. */
  mark(): number;
  /** Requests still waiting for their answer, live streams (text/event-stream) aside. */
  inFlight(): number;
}

/**
 * Records what goes wrong on a page while a test walks it. Paths are relative to the page's origin.
 * A live stream (`accept: text/event-stream`) is long-lived by design: it is never "in flight".
 */
export function watchPage(page: Page): PageWatch {
  let seq = 0;
  const troubles: PageTrouble[] = [];
  const requests: { url: string; seq: number }[] = [];
  const pending = new Set<unknown>();
  const rel = (u: string) => {
    try {
      const url = new URL(u);
      return url.pathname + url.search;
    } catch {
      return u;
    }
  };
  page.on('pageerror', (e) => troubles.push({ kind: 'pageerror', text: e.message, url: '', seq: ++seq }));
  page.on('console', (m) => {
    if (m.type() === 'error')
      troubles.push({ kind: 'console', text: m.text(), url: rel(m.location().url), seq: ++seq });
  });
  page.on('request', (r) => {
    const url = rel(r.url());
    if (url.startsWith('/api/')) requests.push({ url, seq: ++seq });
    if (r.headers()['accept'] !== 'text/event-stream') pending.add(r);
  });
  const done = (r: unknown) => pending.delete(r);
  page.on('requestfinished', done);
  page.on('requestfailed', (r) => {
    done(r);
    troubles.push({
      kind: 'requestfailed',
      text: r.failure()?.errorText ?? 'failed',
      url: rel(r.url()),
      seq: ++seq,
    });
  });
  page.on('response', (r) => {
    if (r.status() >= 400)
      troubles.push({
        kind: 'http',
        text: `${r.status()} ${r.request().method()} ${rel(r.url())}`,
        url: rel(r.url()),
        status: r.status(),
        seq: ++seq,
      });
  });
  return { troubles, requests, mark: () => ++seq, inFlight: () => pending.size };
}

/**
 * Waits until the page has done its loading: no request in flight (live streams aside) and nothing
 * marked `aria-busy` for `quietMs` in a row. Bounded for liveness only.
 */
export async function settled(
  page: Page,
  watch: PageWatch,
  quietMs = 400,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = 0;
  for (;;) {
    const busy = watch.inFlight() > 0 || (await page.locator('main [aria-busy="true"]').count()) > 0;
    const now = Date.now();
    if (busy) quietSince = 0;
    else if (!quietSince) quietSince = now;
    else if (now - quietSince >= quietMs) return;
    if (now > deadline) throw new Error(`page still loading after ${timeoutMs} ms: ${page.url()}`);
    await page.waitForTimeout(50);
  }
}

/**
 * The text a person reads or hears in the page's header and main part: visible text nodes (closed
 * <details> opened first), the options of visible lists, and aria-label / placeholder / title /
 * alt attributes. Left out: `.mono` elements, identifiers shown as code (meter ids, tokens, template
 * names), the same in every language; `.message-text`, a message quoted as its recipient read it, in
 * their language; and any part marked in another language (`lang`, e.g. the language switch).
 */
export async function readableTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    document.querySelectorAll('main details').forEach((d) => ((d as HTMLDetailsElement).open = true));
    const out: string[] = [];
    const lang = document.documentElement.lang;
    const visible = (el: Element) => el.checkVisibility({ visibilityProperty: true, opacityProperty: false });
    for (const root of Array.from(document.querySelectorAll('header, main'))) {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        const text = (n.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (!el || !text || el.closest('.mono, .message-text, script, style')) continue;
        const part = el.closest('[lang]');
        if (part && part.getAttribute('lang') !== lang) continue;
        const select = el.closest('select');
        if (select ? visible(select) : visible(el)) out.push(text);
      }
      for (const el of Array.from(root.querySelectorAll('[aria-label], [placeholder], [title], [alt]'))) {
        if (!visible(el)) continue;
        for (const a of ['aria-label', 'placeholder', 'title', 'alt']) {
          const v = el.getAttribute(a)?.trim();
          if (v) out.push(v);
        }
      }
    }
    return out;
  });
}

/**
 * "No English text in a French page", as a check a machine can make honestly. A text is English when
 *  - it equals an English UI string (`{x}` matching anything) that is not also a French one and has
 *    an English-only word in it ("{n} kWh" or "SMS" say nothing about the language);
 *  - it contains a gateway error message in English (the UI must show the French one);
 *  - it is a raw code: lowercase ASCII words joined by '-' or '_' ("partially-paid") that is not a
 *    French string ("e-mail"), or one lowercase ASCII word the English strings use and the French
 *    ones do not ("completed");
 *  - it has an English decimal point ("98.6 %": French writes 98,6).
 * Returns why, or null.
 */
export function englishDetector(c: {
  /** Every French UI string, and the French words for the API's codes. */
  fr: string[];
  en: string[];
  errorsFr: string[];
  errorsEn: string[];
}): (text: string) => string | null {
  const fr = new Set([...c.fr, ...c.errorsFr]);
  // Placeholders ({issued}, {meterId}) are names, not words of the language around them.
  const words = (s: string) =>
    s
      .replace(/\{\w+\}/g, ' ')
      .toLowerCase()
      .match(/[a-zà-ÿ]+/g) ?? [];
  const frWords = new Set([...fr].flatMap(words));
  const enWords = new Set(c.en.flatMap(words).filter((w) => !frWords.has(w)));
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = (s: string, whole: boolean) =>
    new RegExp(
      `${whole ? '^' : ''}${s
        .split(/\{\w+\}/)
        .map(escape)
        .join('.+?')}${whole ? '$' : ''}`,
    );
  const english = (s: string) => words(s.replace(/\{\w+\}/g, '')).some((w) => enWords.has(w));
  const ui = c.en.filter((s) => !fr.has(s) && english(s)).map((s) => ({ s, re: pattern(s.trim(), true) }));
  const server = c.errorsEn
    .filter((s) => !fr.has(s) && s.replace(/\{\w+\}/g, '').trim().length >= 12)
    .map((s) => ({ s, re: pattern(s.trim(), false) }));
  return (text) => {
    for (const { s, re } of ui) if (re.test(text)) return `English UI string "${s}"`;
    for (const { s, re } of server) if (re.test(text)) return `English server message "${s}"`;
    if (/^[a-z]+(?:[-_][a-z]+)+$/.test(text) && !fr.has(text)) return 'raw code';
    if (/^[a-z]+$/.test(text) && enWords.has(text)) return 'English word';
    if (/(?<![\d.:,-])\d+\.\d{1,2}(?![\d.])/.test(text)) return 'English decimal point';
    return null;
  };
}
