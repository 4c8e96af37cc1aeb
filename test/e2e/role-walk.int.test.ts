/**
 * Issue 24's "done when", in Chromium against `metergate demo` as a newcomer runs it (one process:
 * broker, gateway with every domain on PGlite, simulated fleet, edge; the keys from its banner):
 * every page of the dashboards, with each role, in French — no console error, no failed request,
 * no English text, the page's own data only; a page a role may not use says so at once and asks
 * nothing of the gateway. Then the two browser checks the issue asks for: the meter page shows the
 * meter it is on after moving from one meter to another (item 2), and the forbidden pages (item 4).
 * Screenshots land in test-artifacts/dashboards/walk-*.png. Waits are bounded for liveness only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/services.js';
import {
  englishDetector,
  launchChromium,
  readableTexts,
  screenshot,
  settled,
  signIn,
  watchPage,
  type PageTrouble,
  type PageWatch,
} from './dashboards-browser.js';
import { getJson, waitFor, type MeterRow } from './support/http.js';
import { removeTempDirs, spawnMetergate, stopAll, tempDir } from './support/processes.js';

const ROLES = ['admin', 'operator', 'vendor', 'customer', 'reader'] as const;
type Role = (typeof ROLES)[number];
const WEB = join(import.meta.dirname, '../../dashboards/web');

/**
 * The SPA's pages and who may open them, read from app.js itself (ROUTE_ROLES; admin opens all), so
 * a page added there is walked without editing this test.
 */
function routesOfApp(): { name: string; roles: string[] }[] {
  const src = readFileSync(join(WEB, 'app.js'), 'utf8');
  const block = /const ROUTE_ROLES = \{([\s\S]*?)\n\};/.exec(src)?.[1];
  if (!block) throw new Error('app.js: ROUTE_ROLES not found');
  const routes = [...block.matchAll(/^\s*'?([\w-]+)'?:\s*\[([^\]]*)\]/gm)].map((m) => ({
    name: m[1]!,
    roles: [...m[2]!.matchAll(/'(\w+)'/g)].map((r) => r[1]!),
  }));
  // Every lazily loaded page has its entry (a page without one would be open to admins only, silently).
  const lazy = /const LAZY = \{([\s\S]*?)\n\};/.exec(src)?.[1] ?? '';
  for (const m of lazy.matchAll(/^\s*'?([\w-]+)'?:/gm))
    if (!routes.some((r) => r.name === m[1]))
      throw new Error(`app.js: page ${m[1]} has no ROUTE_ROLES entry`);
  return routes;
}
const ROUTES = routesOfApp();
const mayOpen = (role: Role, route: string) =>
  role === 'admin' || (ROUTES.find((r) => r.name === route)?.roles ?? []).includes(role);

// The catalogues the pages are written from (plain browser modules; loaded through a variable path:
// the type checker does not look into browser code).
type Tables = Record<'fr' | 'ar' | 'en', Record<string, string>>;
const lib = (f: string) => join(WEB, f);
const { MESSAGES } = (await import(lib('lib/messages.js'))) as { MESSAGES: Tables };
const { ERROR_MESSAGES } = (await import(lib('lib/error-messages.js'))) as { ERROR_MESSAGES: Tables };
const { TEXT: BILLING, CODES } = (await import(lib('views/billing-text.js'))) as {
  TEXT: Tables;
  CODES: Record<'fr' | 'ar' | 'en', Record<string, Record<string, string>>>;
};

const codes = (lang: 'fr' | 'en') => Object.values(CODES[lang]).flatMap((m) => Object.values(m));
const englishIn = englishDetector({
  fr: [...Object.values(MESSAGES.fr), ...Object.values(BILLING.fr), ...codes('fr')],
  en: [...Object.values(MESSAGES.en), ...Object.values(BILLING.en), ...codes('en')],
  errorsFr: Object.values(ERROR_MESSAGES.fr),
  errorsEn: Object.values(ERROR_MESSAGES.en),
});

/** The troubles since `mark`, minus the live streams a left page closed. */
function troublesSince(watch: PageWatch, mark: number): PageTrouble[] {
  return watch.troubles.filter(
    (t) =>
      t.seq > mark &&
      // A view that goes away closes its live stream (AbortController): that is the intended end.
      !(t.kind === 'requestfailed' && t.text === 'net::ERR_ABORTED' && t.url.startsWith('/api/live')),
  );
}

let demo: ReturnType<typeof spawnMetergate>;
let url = '';
let keys: Record<Role, string>;
let browser: Browser;
/** Meters of the demo: two postpaid (wired) ones and a prepaid one, and the customer's own. */
let postpaid: [MeterRow, MeterRow];
let prepaid: MeterRow;
let customerMeter = '';

beforeAll(async () => {
  const port = await freePort();
  demo = spawnMetergate('role-walk-demo', [
    'demo',
    '--port',
    String(port),
    '--meters',
    '10',
    '--data-dir',
    tempDir('role-walk'),
  ]);
  await demo.waitForOutput(/reader\s+mgk_\S+/, 150_000);
  keys = Object.fromEntries(
    ROLES.map((r) => [r, new RegExp(`^\\s+${r}\\s+(mgk_\\S+)`, 'm').exec(demo.stdout())![1]!]),
  ) as Record<Role, string>;
  url = `http://127.0.0.1:${port}`;
  // The history behind the daily charts, and a live reading from every meter of the fleet.
  await demo.waitForOutput(/demo history ready/, 150_000);
  const meters = await waitFor(
    'every demo meter with a reading',
    async () => {
      const r = await getJson<MeterRow[]>(`${url}/api/meters`, keys.operator);
      return r.status === 200 && r.body.length >= 10 && r.body.every((m) => m.lastReading)
        ? r.body
        : undefined;
    },
    60_000,
  );
  const wired = meters.filter((m) => m.id.startsWith('TCP-'));
  const energy = (m: MeterRow) => m.lastReading!.values['1-0:1.8.0'] ?? 0;
  // The two wired meters furthest apart, so one's figures cannot be taken for the other's.
  wired.sort((a, b) => energy(a) - energy(b));
  postpaid = [wired[0]!, wired[wired.length - 1]!];
  prepaid = meters.find((m) => m.id.startsWith('PP-'))!;
  const own = await getJson<MeterRow[]>(`${url}/api/meters`, keys.customer);
  customerMeter = own.body[0]!.id;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stopAll();
  removeTempDirs();
});

async function signedIn(role: Role): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-MA' });
  const page = await context.newPage();
  const watch = watchPage(page);
  await signIn(page, url, keys[role]);
  return { context, page, watch };
}

/** Moves to a page the way a link does: the hash changes, the document stays. */
async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (location.hash = h), hash);
}

/** The arguments each page is opened with: a meter page per kind of meter, the others bare. */
function argsOf(route: string, role: Role): string[] {
  if (route !== 'meter') return [''];
  if (role === 'customer') return [customerMeter];
  return [postpaid[0].id, prepaid.id];
}

/** Counts what reaches the gateway from a forbidden page: nothing should, no 403 above all. */
async function quietFor(page: Page, watch: PageWatch, mark: number, ms: number) {
  await page.waitForTimeout(ms);
  const requests = watch.requests.filter((r) => r.seq > mark).map((r) => r.url);
  const refusals = watch.troubles.filter((t) => t.seq > mark && t.status === 403).map((t) => t.text);
  return { requests, refusals };
}

describe('the "English in a French page" check', () => {
  it('flags English UI strings, English server messages, raw codes and decimal points; passes French', () => {
    const english = [
      'Sign out',
      'completed',
      'issued',
      'partially-paid',
      'Erreur : No meter M1 (or not yours).',
      '98.6 %',
    ];
    const french = [
      'Se déconnecter',
      'terminée',
      'payée en partie',
      'Erreur : Compteur M1 introuvable (ou il ne vous appartient pas).',
      '98,6 %',
      '19.999,06 MAD',
      'e-mail',
      'SMS',
      'kWh',
      '07/12/2026 22:00:01',
    ];
    expect(english.filter((t) => !englishIn(t))).toEqual([]);
    expect(french.filter((t) => englishIn(t))).toEqual([]);
  });
});

// The five roles walk side by side, each in its own browser context (its own tab session).
describe.concurrent('every page with every role, in French (issue 24)', () => {
  for (const role of ROLES) {
    it(`${role}: every page in French, no console error, no failed request, forbidden pages say so`, async ({
      expect,
    }) => {
      const { context, page, watch } = await signedIn(role);
      const problems: string[] = [];
      try {
        expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr');
        for (const route of ROUTES) {
          for (const arg of argsOf(route.name, role)) {
            const where = `${role} #/${route.name}${arg ? `/${arg}` : ''}`;
            // The previous page's loading is over: what follows belongs to this one.
            await settled(page, watch);
            const mark = watch.mark();
            await go(page, `#/${route.name}${arg ? `/${encodeURIComponent(arg)}` : ''}`);
            if (mayOpen(role, route.name)) {
              await page.locator('main h1').first().waitFor();
              await settled(page, watch);
              const h1 = await page.locator('main h1').allTextContents();
              if (h1.length !== 1) problems.push(`${where}: ${h1.length} page titles ${JSON.stringify(h1)}`);
              if (arg && !h1.join(' ').includes(arg) && route.name === 'meter')
                problems.push(`${where}: title "${h1.join(' ')}" does not name the meter`);
              if (await page.getByTestId('not-allowed').count())
                problems.push(`${where}: "not allowed" on a page the role may open`);
            } else {
              await page.getByTestId('not-allowed').waitFor();
              const { requests, refusals } = await quietFor(page, watch, mark, 2_000);
              if (refusals.length) problems.push(`${where}: 403 answers ${JSON.stringify(refusals)}`);
              // The page asks nothing; a previous page's live stream closing is not a request.
              if (requests.length)
                problems.push(`${where}: requests from a forbidden page ${JSON.stringify(requests)}`);
            }
            for (const t of troublesSince(watch, mark))
              problems.push(`${where}: ${t.kind} ${t.text} ${t.url}`);
            for (const text of await readableTexts(page)) {
              const why = englishIn(text);
              if (why) problems.push(`${where}: "${text}" — ${why}`);
            }
            await screenshot(page, `walk-${role}-${route.name}${arg ? `-${arg}` : ''}`);
          }
        }
      } finally {
        await context.close();
      }
      expect(problems).toEqual([]);
    });
  }
});

const frNumber = (n: number, digits: number) =>
  new Intl.NumberFormat('fr-MA', { maximumFractionDigits: digits }).format(n);

describe('meter A → meter B without reload (issue 24 item 2)', () => {
  it('title, tiles, live data and daily table are B’s, and nothing of A’s shows once B is on screen', async () => {
    const { context, page, watch } = await signedIn('operator');
    const [a, b] = postpaid;
    const tile = async (id: string) => (await page.getByTestId(id).locator('.v').textContent())!.trim();
    const dailyColumn = () => page.locator('details table tbody tr td:nth-of-type(1)').allTextContents();
    try {
      await go(page, `#/meter/${encodeURIComponent(a.id)}`);
      await page.waitForFunction(() =>
        /\d/.test(document.querySelector('[data-testid="energy"] .v')?.textContent ?? ''),
      );
      await settled(page, watch);
      const aEnergy = await tile('energy');
      const aDaily = await dailyColumn();
      expect(aDaily).toHaveLength(30);

      // From the first moment the page names B, record any of A's figures or A's name in it.
      const mark = watch.mark();
      await page.evaluate(
        ([aId, aValue, bId]) => {
          const w = window as unknown as { staleSeen: string[]; sameDocument: boolean };
          w.sameDocument = true;
          w.staleSeen = [];
          let onB = false;
          const check = () => {
            const h1 = document.querySelector('main h1')?.textContent ?? '';
            onB ||= h1.includes(bId!);
            if (!onB) return;
            if (h1.includes(aId!)) w.staleSeen.push(`title ${h1}`);
            const energy = document.querySelector('[data-testid="energy"] .v')?.textContent ?? '';
            if (energy.includes(aValue!)) w.staleSeen.push(`energy tile ${energy}`);
          };
          new MutationObserver(check).observe(document.querySelector('main')!, {
            subtree: true,
            childList: true,
            characterData: true,
          });
          location.hash = `#/meter/${encodeURIComponent(bId!)}`;
        },
        [a.id, aEnergy, b.id],
      );
      await page.getByRole('heading', { level: 1, name: `Compteur ${b.id}` }).waitFor();
      await page.waitForFunction(() =>
        /\d/.test(document.querySelector('[data-testid="energy"] .v')?.textContent ?? ''),
      );
      await settled(page, watch);

      // Same document (no reload), nothing of A's seen since B's title appeared.
      expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
        true,
      );
      expect(await page.evaluate(() => (window as unknown as { staleSeen: string[] }).staleSeen)).toEqual([]);
      expect(await page.locator('main h1').allTextContents()).toEqual([`Compteur ${b.id}`]);

      // The tiles show one reading of B's own, the same reading for both (the register moves every
      // poll; the page may have a reading from the live stream a moment before it is stored).
      const shownEnergy = await tile('energy');
      const shownPower = await tile('power');
      await waitFor(
        `${b.id}'s reading with ${shownEnergy} and ${shownPower} in the readings API`,
        async () => {
          const recent = await getJson<{ readings: { values: Record<string, number> }[] }>(
            `${url}/api/meters/${encodeURIComponent(b.id)}/readings?from=${new Date(Date.now() - 900_000).toISOString()}`,
            keys.operator,
          );
          return recent.body.readings.some(
            (r) =>
              `${frNumber(r.values['1-0:1.8.0']!, 2)} kWh` === shownEnergy &&
              `${frNumber(r.values['1-0:1.7.0']!, 3)} kW` === shownPower,
          )
            ? true
            : undefined;
        },
        10_000,
      );
      expect(await tile('energy')).not.toBe(aEnergy);
      expect(await page.getByTestId('live-points').textContent()).toMatch(/[1-9]\d* points/);

      // The daily table (the daily chart's data) is B's consumption, day by day (the view's 30 days
      // end today, UTC; today's row may still be growing, so it is left out).
      const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
      const cons = await getJson<{ series: { period: string; consumption: number }[] }>(
        `${url}/api/meters/${encodeURIComponent(b.id)}/consumption?period=day&from=${day(29)}&to=${day(0)}`,
        keys.operator,
      );
      const byDay = new Map(cons.body.series.map((d) => [d.period, frNumber(d.consumption, 2)]));
      const expected = Array.from({ length: 29 }, (_, i) => byDay.get(day(29 - i)) ?? '—');
      const bDaily = await dailyColumn();
      expect(bDaily.slice(0, 29)).toEqual(expected);
      expect(expected.filter((c) => c !== '—').length).toBeGreaterThan(20);
      expect(bDaily).not.toEqual(aDaily);

      // Everything asked of the gateway since the move was about B: A's live stream and data are left.
      const asked = watch.requests.filter((r) => r.seq > mark).map((r) => decodeURIComponent(r.url));
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.filter((u) => u.includes(a.id))).toEqual([]);
      expect(asked).toContain(`/api/live?meter=${b.id}`);
      expect(troublesSince(watch, mark)).toEqual([]);
      await screenshot(page, 'walk-meter-a-to-b');
    } finally {
      await context.close();
    }
  });
});

describe('a page the role may not use (issue 24 item 4)', () => {
  const cases: { role: Role; page: string; hash: () => string; home: string; homeTitle: string }[] = [
    {
      role: 'customer',
      page: '#/fleet',
      hash: () => '#/fleet',
      home: '#/customer',
      homeTitle: 'Mon espace client',
    },
    {
      role: 'customer',
      page: '#/outbox',
      hash: () => '#/outbox',
      home: '#/customer',
      homeTitle: 'Mon espace client',
    },
    {
      role: 'vendor',
      page: '#/meter/<id>',
      hash: () => `#/meter/${postpaid[0].id}`,
      home: '#/vend',
      homeTitle: 'Console de vente',
    },
    { role: 'vendor', page: '#/fleet', hash: () => '#/fleet', home: '#/vend', homeTitle: 'Console de vente' },
  ];
  for (const c of cases) {
    it(`${c.role} opening ${c.page} from a link: "not allowed" with a way home, no 403, no live stream`, async () => {
      const { context, page, watch } = await signedIn(c.role);
      try {
        // Signed in in this tab, then opening a bookmarked or shared address: a fresh load of the app.
        await page.goto('about:blank');
        const loaded = watch.mark();
        await page.goto(`${url}/ui/${c.hash()}`);
        const box = page.getByTestId('not-allowed');
        await box.waitFor();
        expect(await box.getByRole('heading', { level: 1 }).textContent()).toBe('Accès non autorisé');
        expect(await box.getByRole('alert').textContent()).toContain(
          `(${c.role === 'vendor' ? 'Vendeur' : 'Client'})`,
        );
        const shown = watch.mark();
        const { requests, refusals } = await quietFor(page, watch, shown, 2_000);
        // Before the page showed: the session check only; after: nothing at all.
        expect(watch.requests.filter((r) => r.seq > loaded && r.seq < shown).map((r) => r.url)).toEqual([
          '/api/session',
        ]);
        expect(requests).toEqual([]);
        expect(refusals).toEqual([]);
        expect(troublesSince(watch, loaded)).toEqual([]);
        await screenshot(page, `walk-forbidden-${c.role}-${c.hash().split('/')[1]}`);
        const home = box.getByRole('link', { name: 'Revenir à l’accueil' });
        expect(await home.getAttribute('href')).toBe(c.home);
        await home.click();
        await page.getByRole('heading', { level: 1, name: c.homeTitle }).waitFor();
      } finally {
        await context.close();
      }
    });
  }
});
