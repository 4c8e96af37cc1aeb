/**
 * Issue 26, item 6, on a phone: the meter reader's app (/ui/agent/) in Chromium at a phone-sized
 * window against the real gateway (PostgreSQL, Mosquitto, helmet's Content-Security-Policy, deny-by-
 * default auth) with the field domain. The reader signs in with a reader key (role `reader`: their
 * rounds only; the reader id comes from the gateway's session, nothing typed), loads a round online, the network is cut, three
 * indexes are typed (one below the meter's last index: confirmed after a warning), the page is
 * reloaded with no network (the service worker serves the app, IndexedDB keeps the queue), the
 * network comes back and the queue syncs; a second, retried sync changes nothing. On the server:
 * every index exactly once, the accepted ones in the meter's readings as `real` / `meter-reader`,
 * the implausible one flagged with a re-read work order and in no reading or rollup billing reads.
 * Screenshots in French and Arabic go to test-artifacts/agent/. An operator key still works with a
 * typed reader id, and is asked for one when it is missing.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WEB_ROOT, dashboardsPlugin } from '../../dashboards/index.js';
import { dashboardApiPlugin } from '../../gateway/customers/dashboard-api/index.js';
import { measuredIndex } from '../../gateway/billing/testing/world.js';
import { FieldFeature } from '../../gateway/field/index.js';
import { layOut } from '../../gateway/field/testing/world.js';
import { Gateway } from '../../gateway/index.js';
import { SELF_READING_MIGRATIONS } from '../../gateway/metering/self-readings/index.js';
import { createApiKey, runMigrations } from '../../gateway/platform/index.js';
import { createTestDatabase } from '../support/postgres.js';
import { SERVICES, freePort, requireMosquitto } from '../support/services.js';
import { launchChromium, signIn } from './dashboards-browser.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'agent');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const READER = 'releveur-12';
const PHONE = { latitude: 33.9601, longitude: -6.8702 };
/** A 1×1 PNG: the photo the reader takes of the dial. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
/** The last real index of each meter, 30 days ago; M-R2's typed index goes below it (implausible). */
const LAST = { 'M-R1': 1200, 'M-R2': 5400, 'M-R3': 800 };
const TYPED = { 'M-R1': 1262, 'M-R2': 5300, 'M-R3': 835.5 };

let drop: () => Promise<void>;
let gateway: Gateway;
let field: FieldFeature;
let browser: Browser;
let url = '';
let operatorKey = '';
let readerKey = '';
let roundId = '';

beforeAll(async () => {
  await requireMosquitto();
  const pg = await createTestDatabase('agent');
  drop = pg.drop;
  const run = randomBytes(3).toString('hex');
  gateway = new Gateway({
    databaseUrl: pg.url,
    mqtt: { url: SERVICES.mqtt, prefix: `mgagent-${run}/v1`, clientId: `gw-agent-${run}` },
    http: { host: '127.0.0.1', port: await freePort() },
    plugins: async (core) => {
      // The last real index of a meter also comes from self-readings (a domain the full gateway runs).
      await runMigrations(core.db, SELF_READING_MIGRATIONS);
      field = await new FieldFeature({ db: core.db, readings: core.store, detect: false }).start();
      // The session route (dashboard API) tells the app a reader key's reader id.
      return [
        ...field.plugins,
        { plugin: dashboardApiPlugin, options: {} },
        { plugin: dashboardsPlugin, options: {} },
      ];
    },
  });
  await gateway.start();
  const db = gateway.db!;
  url = gateway.url!;
  operatorKey = (await createApiKey(db, { role: 'operator' })).key;
  readerKey = (await createApiKey(db, { role: 'reader', readerId: READER })).key;
  await layOut(field, [
    { meter: 'M-R1', lat: 33.961, lon: -6.871, commune: 'Hay-Riad', transformer: 'T-R', reading: 'manual' },
    { meter: 'M-R2', lat: 33.96, lon: -6.875, commune: 'Hay-Riad', transformer: 'T-R', reading: 'manual' },
    { meter: 'M-R3', lat: 33.962, lon: -6.87, commune: 'Hay-Riad', transformer: 'T-R', reading: 'manual' },
  ]);
  const lastDay = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  for (const [meter, index] of Object.entries(LAST)) await measuredIndex(db, meter, lastDay, index);
  const period = new Date().toISOString().slice(0, 7);
  const created = await api('POST', '/api/reading-rounds', {
    area: 'commune:Hay-Riad',
    period,
    reader: READER,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  roundId = created.body.id;
  // Another reader's round: not on this reader's phone.
  const other = await api('POST', '/api/reading-rounds', {
    area: 'commune:Hay-Riad',
    period,
    reader: 'releveur-99',
  });
  expect(other.status).toBe(201);
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await field?.stop();
  await drop?.();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several routes, checked by the test
type Answer = { status: number; body: any };

async function api(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  const r = await fetch(`${url}${path}`, {
    method,
    headers: { 'x-api-key': operatorKey, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: await r.json() };
}

async function phone(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    geolocation: PHONE,
    permissions: ['geolocation'],
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  return { context, page, problems };
}

/** A screenshot for a person to look at, and axe-core's serious or critical findings on that screen. */
const a11y: string[] = [];
async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  a11y.push(...(await axeSerious(page)).map((v) => `${name}: ${v}`));
}

/**
 * axe-core (WCAG 2.1 A/AA) through Playwright's own evaluation, which the page's CSP does not
 * block. Not through a second DevTools session: detaching one drops the emulated offline network
 * and the page would see an `online` event in the middle of the test.
 */
async function axeSerious(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    type Axe = {
      run: (
        d: unknown,
        o: unknown,
      ) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
    };
    const axe = (globalThis as unknown as { axe: Axe }).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
  });
}

async function signInAndOpenRound(page: Page, lang: 'fr' | 'ar') {
  await page.goto(`${url}/ui/agent/`);
  if (lang === 'ar') await page.getByRole('button', { name: 'العربية' }).click();
  await expect
    .poll(() => page.evaluate(() => document.documentElement.dir))
    .toBe(lang === 'ar' ? 'rtl' : 'ltr');
  await shot(page, `${lang}-00-sign-in`);
  // A reader key alone: the reader id is the key's, from the gateway's session.
  await page.locator('#key').fill(readerKey);
  expect(await page.locator('#reader').inputValue()).toBe('');
  await page.locator('form button[type=submit]').click();
  // The reader's own round only.
  await page.locator(`li[data-round="${roundId}"]`).waitFor();
  expect(await page.locator('li[data-round]').count()).toBe(1);
  await shot(page, `${lang}-01-rounds`);
  await page.locator(`li[data-round="${roundId}"] button`).click();
  await page.locator('li[data-meter]').first().waitFor();
}

const pendingCount = async (page: Page) =>
  Number(await page.getByTestId('pending').getAttribute('data-count'));
const stateOf = (page: Page, meter: string) => page.locator(`li[data-meter="${meter}"] [data-testid=state]`);

async function typeIndex(page: Page, meter: string, index: string) {
  await page.locator(`li[data-meter="${meter}"] [data-testid=read]`).click();
  await page.locator('#index').fill(index);
}

describe('the meter reader’s phone app, offline', () => {
  it('keeps every file of the app in the service worker’s shell (a forgotten one breaks the offline start)', () => {
    const dir = join(DEFAULT_WEB_ROOT, 'agent');
    const sw = readFileSync(join(dir, 'sw.js'), 'utf8');
    const shell = new Set([...sw.matchAll(/'\.\/([\w.-]*)'/g)].map((m) => m[1]));
    const files = readdirSync(dir).filter((f) => f !== 'sw.js');
    expect(files.filter((f) => !shell.has(f))).toEqual([]);
    expect(shell.has('')).toBe(true);
  });

  it('reads a round with the network cut, survives a reload, and syncs every index once', async () => {
    const { context, page, problems } = await phone();
    await signInAndOpenRound(page, 'fr');

    // The walking order is the server's, with each meter's expected range.
    const round = (await api('GET', `/api/reading-rounds/${roundId}`)).body as {
      meters: { meter: string; expectedMin: number }[];
    };
    expect(
      await page.locator('li[data-meter]').evaluateAll((els) => els.map((e) => e.dataset.meter)),
    ).toEqual(round.meters.map((m) => m.meter));
    expect(round.meters.find((m) => m.meter === 'M-R2')!.expectedMin).toBe(LAST['M-R2']);
    await expect.poll(() => page.getByTestId('pending').textContent()).toBe('Tout est synchronisé');
    // The service worker controls the page before the network goes: the shell is on the phone.
    await expect
      .poll(() =>
        page.evaluate(() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)),
      )
      .toBe(true);
    await shot(page, 'fr-02-round-online');

    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('network').textContent()).toBe('Hors ligne');

    // M-R1: inside the range as typed, saved on the phone.
    await typeIndex(page, 'M-R1', String(TYPED['M-R1']));
    await expect.poll(() => page.locator('#range-note').getAttribute('class')).toBe('ok');
    await page.locator('form.entry button[type=submit]').click();
    await expect.poll(() => stateOf(page, 'M-R1').textContent()).toBe('En attente de synchronisation');

    // M-R2: below the last index — warned as typed, asked to confirm; read again, then confirmed.
    await typeIndex(page, 'M-R2', String(TYPED['M-R2']));
    await expect.poll(() => page.locator('#range-note').getAttribute('class')).toBe('warn');
    await page.locator('form.entry button[type=submit]').click();
    await page.getByTestId('confirm').waitFor();
    await shot(page, 'fr-03-confirm-or-reread');
    await page.getByTestId('reread').click();
    expect(await page.locator('#index').inputValue()).toBe('');
    await page.locator('#index').fill(String(TYPED['M-R2']));
    await page.locator('form.entry button[type=submit]').click();
    await page.getByTestId('confirm').click();
    await expect.poll(() => stateOf(page, 'M-R2').textContent()).toBe('En attente de synchronisation');
    expect(await pendingCount(page)).toBe(2);

    // Reloaded with no network: the service worker serves the app, IndexedDB still holds the queue.
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await page.locator('li[data-meter]').first().waitFor();
    expect(await page.getByText('Tournée enregistrée sur le téléphone (hors ligne).').count()).toBe(1);
    await expect.poll(() => pendingCount(page)).toBe(2);
    expect(await stateOf(page, 'M-R2').textContent()).toBe('En attente de synchronisation');

    // M-R3: with an anomaly code, a photo and the phone's position (decimal comma as typed in French).
    await typeIndex(page, 'M-R3', '835,5');
    await page.locator('#anomaly').selectOption('broken-seal');
    await page.locator('#photo').setInputFiles({ name: 'dial.png', mimeType: 'image/png', buffer: PNG });
    await page.locator('form.entry button[type=submit]').click();
    await expect.poll(() => pendingCount(page)).toBe(3);
    await shot(page, 'fr-04-offline-three-pending');
    const db = gateway.db!;
    const stored = async () =>
      (
        await db.query<{ meter_id: string; index_value: number; status: string; anomaly: string | null }>(
          `SELECT meter_id, index_value, status, anomaly FROM field_round_readings WHERE round_id = $1::bigint ORDER BY meter_id`,
          [roundId],
        )
      ).rows;
    expect(await stored()).toEqual([]);

    // The network is back: the queue syncs by itself.
    await context.setOffline(false);
    await expect.poll(() => pendingCount(page), { timeout: 30_000 }).toBe(0);
    await expect
      .poll(() => stateOf(page, 'M-R2').textContent())
      .toBe('Invraisemblable : à relire (non facturé)');
    expect(await stateOf(page, 'M-R1').textContent()).toBe('Accepté');
    expect(await stateOf(page, 'M-R3').textContent()).toBe('Accepté');
    await shot(page, 'fr-05-synced');

    // A sync whose answers were lost on the way is retried: the server stores nothing more.
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('metergate-agent');
          open.onsuccess = () => {
            const tx = open.result.transaction('readings', 'readwrite');
            const store = tx.objectStore('readings');
            const all = store.getAll();
            all.onsuccess = () => {
              for (const r of all.result) store.put({ ...r, state: 'pending' });
            };
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await page.reload();
    await page.locator('li[data-meter]').first().waitFor();
    await expect.poll(() => pendingCount(page), { timeout: 30_000 }).toBe(0);
    await expect
      .poll(() => stateOf(page, 'M-R2').textContent())
      .toBe('Invraisemblable : à relire (non facturé)');

    // Every index exactly once; M-R2 flagged.
    expect(await stored()).toEqual([
      { meter_id: 'M-R1', index_value: TYPED['M-R1'], status: 'accepted', anomaly: null },
      { meter_id: 'M-R2', index_value: TYPED['M-R2'], status: 'implausible', anomaly: null },
      { meter_id: 'M-R3', index_value: TYPED['M-R3'], status: 'accepted', anomaly: 'broken-seal' },
    ]);
    const extras = (
      await db.query<{ lat: number; lon: number; photo: string }>(
        `SELECT lat, lon, photo FROM field_round_readings WHERE round_id = $1::bigint AND meter_id = 'M-R3'`,
        [roundId],
      )
    ).rows[0]!;
    expect(extras.lat).toBeCloseTo(PHONE.latitude, 4);
    expect(extras.lon).toBeCloseTo(PHONE.longitude, 4);
    expect(a11y).toEqual([]);
    expect(extras.photo).toMatch(/^data:image\/jpeg;base64,/);

    // The accepted ones are the meters' readings: quality real, source meter-reader.
    const from = new Date(Date.now() - 86_400_000).toISOString();
    for (const meter of ['M-R1', 'M-R3'] as const) {
      const r = await api('GET', `/api/meters/${meter}/readings?from=${from}`);
      expect(r.status).toBe(200);
      expect(r.body.readings).toMatchObject([{ values: { '1-0:1.8.0': TYPED[meter] }, quality: 'real' }]);
    }
    const sources = await db.query<{ meter_id: string; source: string; quality: string }>(
      `SELECT meter_id, source, quality FROM readings WHERE meter_id LIKE 'M-R%' ORDER BY meter_id`,
    );
    expect(sources.rows).toEqual([
      { meter_id: 'M-R1', source: 'meter-reader', quality: 'real' },
      { meter_id: 'M-R3', source: 'meter-reader', quality: 'real' },
    ]);
    // The implausible one: no reading, no rollup beyond the last real index (nothing to bill), a re-read.
    const rollups = await db.query<{ last_value: number }>(
      `SELECT last_value FROM daily_consumption WHERE meter_id = 'M-R2' ORDER BY day`,
    );
    expect(rollups.rows.map((r) => r.last_value)).toEqual([LAST['M-R2']]);
    const workOrders = await db.query<{ kind: string; meter_id: string }>(
      `SELECT kind, meter_id FROM field_work_orders WHERE meter_id LIKE 'M-R%'`,
    );
    expect(workOrders.rows).toEqual([{ kind: 're-read', meter_id: 'M-R2' }]);
    const progress = (await api('GET', `/api/reading-rounds?reader=${READER}`)).body.rounds;
    expect(progress).toMatchObject([{ id: roundId, meters: 3, read: 2 }]);
    // The phone's key holds no more than the reader's rounds: the other reader's round is "unknown".
    expect(await page.evaluate(() => localStorage.getItem('metergate.agent.reader'))).toBe(READER);
    const other = (await api('GET', '/api/reading-rounds')).body.rounds.find(
      (r: { reader: string }) => r.reader !== READER,
    );
    // Asked from the test, not the page: a refused request would be a console error there.
    expect(await page.evaluate(() => localStorage.getItem('metergate.agent.apiKey'))).toBe(readerKey);
    const asReader = async (path: string) =>
      (await fetch(`${url}${path}`, { headers: { 'x-api-key': readerKey } })).status;
    expect([
      await asReader(`/api/reading-rounds/${other.id}`),
      await asReader('/api/meters'),
      await asReader('/api/work-orders'),
    ]).toEqual([404, 403, 403]);

    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);

  it('speaks Arabic right to left on the same round, offline, with the out-of-range warning', async () => {
    const { context, page, problems } = await phone();
    await signInAndOpenRound(page, 'ar');
    await expect
      .poll(() =>
        page.evaluate(() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)),
      )
      .toBe(true);
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('network').textContent()).toBe('غير متصل');
    // M-R2's implausible index is to be read again: typed with Eastern Arabic digits, too high this time.
    await typeIndex(page, 'M-R2', '٩٩٩٩٩٩');
    await expect.poll(() => page.locator('#range-note').getAttribute('class')).toBe('warn');
    await page.locator('form.entry button[type=submit]').click();
    await page.getByTestId('confirm').waitFor();
    await shot(page, 'ar-02-confirm-or-reread');
    await page.getByTestId('reread').click();
    await page.locator('#index').fill('5460');
    await expect.poll(() => page.locator('#range-note').getAttribute('class')).toBe('ok');
    await page.locator('form.entry button[type=submit]').click();
    await expect.poll(() => pendingCount(page)).toBe(1);
    await shot(page, 'ar-03-offline-pending');
    await context.setOffline(false);
    await expect.poll(() => pendingCount(page), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => stateOf(page, 'M-R2').textContent()).toBe('مقبول');
    await shot(page, 'ar-04-synced');
    const m2 = await gateway.db!.query<{ index_value: number; status: string }>(
      `SELECT index_value, status FROM field_round_readings WHERE meter_id = 'M-R2' ORDER BY read_at`,
    );
    expect(m2.rows).toEqual([
      { index_value: TYPED['M-R2'], status: 'implausible' },
      { index_value: 5460, status: 'accepted' },
    ]);
    expect(problems).toEqual([]);
    expect(a11y).toEqual([]);
    await context.close();
  }, 180_000);

  it('still signs an operator key in with a typed reader id, and asks for one when it is missing', async () => {
    const { context, page } = await phone();
    await page.goto(`${url}/ui/agent/`);
    await page.locator('#key').fill(operatorKey);
    await page.locator('form button[type=submit]').click();
    await expect
      .poll(() => page.getByTestId('sign-in-error').textContent())
      .toBe('Avec une clé d’opérateur, indiquez l’identifiant du releveur.');
    await page.locator('#key').fill(operatorKey);
    await page.locator('#reader').fill(READER);
    await page.locator('form button[type=submit]').click();
    await page.locator(`li[data-round="${roundId}"]`).waitFor();
    expect(await page.locator('li[data-round]').count()).toBe(1);
    await context.close();
  }, 120_000);

  it('sends a reader who signs in to the dashboards to the phone app; operators get the link too', async () => {
    const { context, page, problems } = await phone();
    await signIn(page, url, readerKey);
    // The reader's home is the page pointing to the phone app, and the nav holds that link only.
    await page.getByTestId('agent-link').waitFor();
    expect(await page.locator('nav a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
      './agent/',
    ]);
    expect(await page.locator('.who').textContent()).toBe('Releveur');
    await page.getByTestId('agent-link').getByRole('link').click();
    await page.waitForURL(`${url}/ui/agent/`);
    await page.locator('#key').waitFor();
    await context.close();

    const staff = await phone();
    await signIn(staff.page, url, operatorKey);
    await staff.page.locator('nav a[href="./agent/"]').waitFor();
    expect(await staff.page.locator('nav a[href="./agent/"]').textContent()).toBe('Relève (téléphone)');
    await staff.context.close();
    expect(problems).toEqual([]);
  }, 120_000);
});
