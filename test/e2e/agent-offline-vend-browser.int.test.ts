/**
 * Issue 22.5 on a phone: a mobile recharge agent's offline sales (/ui/agent/vend.html) in Chromium
 * at a phone-sized window against the real vending API (PGlite ledger, deny-by-default auth,
 * helmet's Content-Security-Policy as the gateway sets it, the dashboards' static files). The
 * phone is provisioned online with the vendor's key (an allowance of 200 MAD for M1 and M2: the
 * decoder keys sealed under a non-extractable WebCrypto key, nothing in clear), the network is cut
 * mid-round, two tokens are sold, the page is reloaded with no network (the service worker serves
 * the app and the bundle, IndexedDB the device and the queue), a third is sold, the network comes
 * back and the sales sync. The centre books exactly three; a re-sync books nothing twice; the
 * ledger balances; each token decodes on the simulated meter to the units sold.
 * Screenshots (French, Arabic) go to test-artifacts/agent/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardsPlugin } from '../../dashboards/index.js';
import { dashboardApiPlugin } from '../../gateway/customers/dashboard-api/index.js';
import { authPlugin, PgliteDatabase, type SqlDatabase } from '../../gateway/platform/index.js';
import { vendingPlugin, type VendingService } from '../../gateway/prepaid/index.js';
import { ledgerBooks } from '../../gateway/prepaid/vending/books.js';
import { mobileAgentWithFloat } from '../../gateway/prepaid/vending/test-fixtures/bed.js';
import { buildWorld, type World } from '../../gateway/prepaid/vending/test-fixtures/world.js';
import { contentSecurityPolicy } from '../../gateway/server.js';
import { bytesToHex, deriveDecoderKey, MeterDecoder } from '../../token-engine/index.js';
import { launchChromium } from './dashboards-browser.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'agent');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let browser: Browser;
let url = '';

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  world = await buildWorld(db, { meters: 2, social: false, now: () => new Date() });
  await mobileAgentWithFloat(db, 'V1', 1000, new Date());
  app = Fastify();
  await app.register(helmet, { contentSecurityPolicy: contentSecurityPolicy(), global: true });
  await app.register(authPlugin, { db, rateLimit: false });
  await app.register(vendingPlugin, { service: world.service as VendingService });
  await app.register(dashboardApiPlugin, { ledger: db });
  await app.register(dashboardsPlugin, {});
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await world?.service.stop();
  await db?.close();
});

async function phone(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
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
  await page.screenshot({ path: join(ARTIFACTS, `vend-${name}.png`), fullPage: true });
  // Through Playwright's own evaluation (the page's CSP does not apply to it); a second DevTools
  // session would drop the emulated offline network when detached.
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    type Axe = {
      run: (
        d: unknown,
        o: unknown,
      ) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
    };
    const r = await (globalThis as unknown as { axe: Axe }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`);
  });
  a11y.push(...found.map((v) => `${name}: ${v}`));
}
const pendingCount = async (page: Page) =>
  Number(await page.getByTestId('pending').getAttribute('data-count'));
const saleStates = (page: Page) =>
  page
    .locator('li[data-seq] [data-testid=sale-state]')
    .evaluateAll((els) =>
      els.map((e) => `${e.closest('li')!.dataset.seq}:${(e as HTMLElement).dataset.state}`),
    );

/** Sell on the page; answers the receipt's token (digits only), its grouping as shown, its units. */
async function sell(page: Page, meter: string, amount: string) {
  await page.locator('#meter').selectOption(meter);
  await page.locator('#amount').fill(amount);
  const quote = (await page.getByTestId('quote').textContent())!;
  await page.getByTestId('sell').click();
  await page.getByTestId('receipt').waitFor();
  const shown = (await page.getByTestId('token').textContent())!;
  const units = Number(
    (await page.getByTestId('units').textContent())!.replace(/[^\d,.]/g, '').replace(',', '.'),
  );
  return { token: shown.replace(/\D/g, ''), shown, units, quote };
}

async function newSale(page: Page) {
  await page.getByRole('button', { name: 'Nouvelle vente' }).click();
  await page.locator('#amount').waitFor();
}

describe('a mobile recharge agent selling offline on the phone', () => {
  it('provisions, sells with the network cut and after a reload, syncs every sale exactly once', async () => {
    const { context, page, problems } = await phone();
    // The page, the bundle and the sealed store come from this gateway under its policy.
    const res = (await page.goto(`${url}/ui/agent/vend.html`))!;
    expect(res.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    const bundle = await fetch(`${url}/ui/agent/offline-vend.js`);
    expect([bundle.status, bundle.headers.get('content-type')]).toEqual([
      200,
      expect.stringMatching(/javascript/),
    ]);
    await page.locator('#vendor-key').waitFor();
    expect(await page.locator('#syncbar').textContent()).toBe('En ligneTout est synchronisé');
    await shot(page, 'fr-00-set-up');

    // Provisioning, online: 200 MAD taken from the float, M1 and M2.
    await page.locator('#vendor-key').fill(world.keys.vendor);
    await page.locator('#block').fill('200');
    await page.locator('#meters').fill('M1 M2');
    await page.getByTestId('provision').click();
    await page
      .getByTestId('remaining')
      .waitFor()
      .catch(async (e: Error) => {
        throw new Error(`${e.message}\n${problems.join('\n')}\n${await page.locator('main').textContent()}`);
      });
    expect(await page.getByTestId('remaining').getAttribute('data-amount')).toBe('200');
    const float = async () =>
      Number(
        (await db.query<{ balance: number }>(`SELECT balance FROM vendors WHERE id = 'V1'`)).rows[0]!.balance,
      );
    expect(await float()).toBe(800);

    // The sealed store: a non-extractable device key, each decoder key only as AES-GCM ciphertext.
    const decoderKeys = world.meters.map((m) => bytesToHex(deriveDecoderKey(m.key)));
    const stored = await page.evaluate(
      () =>
        new Promise<{
          extractable: boolean;
          exportRefused: boolean;
          sealed: string[];
          state: string;
          local: string;
        }>((resolve, reject) => {
          const open = indexedDB.open('metergate-vend');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const tx = open.result.transaction(['keys', 'state'], 'readonly');
            const keys = tx.objectStore('keys').getAll();
            const state = tx.objectStore('state').getAll();
            tx.oncomplete = async () => {
              const hex = (b: ArrayBuffer | Uint8Array) =>
                [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
              const key = keys.result.find((k) => k instanceof CryptoKey) as CryptoKey;
              const exportRefused = await crypto.subtle.exportKey('raw', key).then(
                () => false,
                () => true,
              );
              resolve({
                extractable: key.extractable,
                exportRefused,
                sealed: keys.result
                  .filter((k) => !(k instanceof CryptoKey))
                  .map((k) => hex(k.box) + hex(k.iv)),
                state: JSON.stringify(state.result),
                local: JSON.stringify({ ...localStorage }),
              });
            };
          };
        }),
    );
    expect(stored).toMatchObject({ extractable: false, exportRefused: true });
    expect(stored.sealed).toHaveLength(2);
    for (const k of decoderKeys) {
      expect(stored.sealed.join()).not.toContain(k);
      expect(stored.state).not.toContain(k);
      expect(stored.local).not.toContain(k);
    }
    await expect
      .poll(() =>
        page.evaluate(() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)),
      )
      .toBe(true);
    await shot(page, 'fr-01-provisioned');

    // The network is cut mid-round: two sales.
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('network').textContent()).toBe('Hors ligne');
    const first = await sell(page, 'M1', '50');
    expect(first.shown).toMatch(/^\d{4} \d{4} \d{4} \d{4} \d{4}$/);
    expect(first.quote).toContain(`${String(first.units).replace('.', ',')} kWh pour 50,00 MAD`);
    const sms = (await page.getByTestId('sms').getAttribute('href'))!;
    expect(sms).toMatch(/^sms:\?body=/);
    expect(decodeURIComponent(sms)).toContain(first.shown);
    await page.locator('#sms-to').fill('+212 600 000 001');
    expect(await page.getByTestId('sms').getAttribute('href')).toMatch(/^sms:%2B212600000001\?body=/);
    await shot(page, 'fr-02-offline-receipt');
    await newSale(page);
    const second = await sell(page, 'M2', '30');
    expect(await pendingCount(page)).toBe(2);
    expect(await page.getByTestId('remaining').getAttribute('data-amount')).toBe('120');

    // Reloaded with no network: the service worker serves the page and the bundle, IndexedDB the rest.
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await page.getByTestId('remaining').waitFor();
    expect(await page.getByTestId('remaining').getAttribute('data-amount')).toBe('120');
    await expect.poll(() => pendingCount(page)).toBe(2);
    const third = await sell(page, 'M1', '40');
    await newSale(page);
    // Past the allowance: refused on the phone, nothing minted.
    await page.locator('#amount').fill('500');
    await page.getByTestId('sell').click();
    await expect
      .poll(() => page.getByTestId('error').textContent())
      .toMatch(/Autorisation épuisée : il reste 80,00 MAD/);
    expect(await pendingCount(page)).toBe(3);
    expect(await saleStates(page)).toEqual(['3:pending', '2:pending', '1:pending']);
    await shot(page, 'fr-03-offline-three-pending');
    const offlineVends = async () =>
      Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM offline_vends')).rows[0]!.n);
    const vendRows = async () =>
      Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM vends')).rows[0]!.n);
    expect(await offlineVends()).toBe(0);

    // The network is back: the queue syncs by itself; each sale shows the centre's answer.
    await context.setOffline(false);
    await expect.poll(() => pendingCount(page), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => saleStates(page)).toEqual(['3:accepted', '2:accepted', '1:accepted']);
    expect(await offlineVends()).toBe(3);
    const booked = await vendRows();
    expect(booked).toBe(3);
    await shot(page, 'fr-04-synced');

    // The answers were lost on the way: the phone resends all three, the centre books nothing twice.
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('metergate-vend');
          open.onsuccess = () => {
            const tx = open.result.transaction('sales', 'readwrite');
            const store = tx.objectStore('sales');
            const all = store.getAll();
            all.onsuccess = () => {
              for (const s of all.result) store.put({ ...s, state: 'pending' });
            };
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await page.reload();
    // Opened with the network: the page sends what is pending by itself.
    await page.getByTestId('remaining').waitFor();
    await expect
      .poll(() => saleStates(page), { timeout: 30_000 })
      .toEqual(['3:duplicate', '2:duplicate', '1:duplicate']);
    expect([await offlineVends(), await vendRows()]).toEqual([3, booked]);

    // The centre's books: the three sales at their money and units, the allowance spent, balanced.
    const rows = await db.query<{ seq: number; meter_id: string; digits: string; amount: number }>(
      'SELECT seq, meter_id, digits, amount FROM offline_vends ORDER BY seq',
    );
    expect(rows.rows.map((r) => [r.seq, r.meter_id, r.digits, Number(r.amount)])).toEqual([
      [1, 'M1', first.token, 50],
      [2, 'M2', second.token, 30],
      [3, 'M1', third.token, 40],
    ]);
    const allowance = await db.query<{ spent: number; amount: number }>(
      'SELECT spent, amount FROM offline_allowances',
    );
    expect(allowance.rows.map((r) => [Number(r.amount), Number(r.spent)])).toEqual([[200, 120]]);
    expect(await float()).toBe(800);
    expect(await ledgerBooks(db)).toMatchObject({ balanced: true, duplicateTokens: 0 });
    const anomalies = await db.query('SELECT kind FROM offline_anomalies');
    expect(anomalies.rows).toEqual([]);

    // Each token on the simulated meter: accepted, the units sold.
    const meters = world.meters.map((m) => new MeterDecoder({ meterKey: m.key }));
    for (const [i, s] of [first, second, third].entries()) {
      const meter = meters[i === 1 ? 1 : 0]!;
      expect(meter.enter(s.token, new Date())).toMatchObject({ ok: true, kind: 'credit', units: s.units });
    }

    // The same screen in Arabic, right to left; the token still reads left to right.
    await page.getByRole('button', { name: 'العربية' }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    expect(await page.locator('li[data-seq="1"] .token').getAttribute('dir')).toBe('ltr');
    await shot(page, 'ar-05-synced');

    // The allowance leaves the phone: the sealed keys and the device key are gone, the sales stay.
    await page.getByTestId('forget').click();
    await page.locator('#vendor-key').waitFor();
    const left = await page.evaluate(
      () =>
        new Promise<[number, number]>((resolve) => {
          const open = indexedDB.open('metergate-vend');
          open.onsuccess = () => {
            const tx = open.result.transaction(['keys', 'sales'], 'readonly');
            const keys = tx.objectStore('keys').count();
            const sales = tx.objectStore('sales').count();
            tx.oncomplete = () => resolve([keys.result, sales.result]);
          };
        }),
    );
    expect(left).toEqual([0, 3]);
    // Online, so the allowance is closed: the 80 MAD not sold are back on the float.
    await expect
      .poll(async () => (await db.query<{ status: string }>('SELECT status FROM offline_allowances')).rows)
      .toEqual([{ status: 'closed' }]);
    expect(await float()).toBe(880);
    expect(await ledgerBooks(db)).toMatchObject({ balanced: true });
    expect(problems).toEqual([]);
    expect(a11y).toEqual([]);
    await context.close();
  }, 180_000);

  it('shows what the centre flags on a tampered phone: a price it does not give, a sale past the block', async () => {
    const { context, page, problems } = await phone();
    await page.goto(`${url}/ui/agent/vend.html`);
    await page.locator('#vendor-key').fill(world.keys.vendor);
    await page.locator('#block').fill('100');
    await page.locator('#meters').fill('M2');
    await page.getByTestId('provision').click();
    await page.getByTestId('remaining').waitFor();
    // The app's state edited on the phone: a bigger block, and M2's month started afresh (so the
    // fixed charge is taken again and the blocks restart: other units than the centre's).
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('metergate-vend');
          open.onsuccess = () => {
            const tx = open.result.transaction('state', 'readwrite');
            const store = tx.objectStore('state');
            const get = store.get('device');
            get.onsuccess = () => {
              const d = get.result;
              d.allowance.amount = 10_000;
              d.meters[0].position = { month: null, units: 0, fixed: 0 };
              store.put(d, 'device');
            };
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          };
        }),
    );
    await page.reload();
    await page.getByTestId('remaining').waitFor();
    expect(await page.getByTestId('remaining').getAttribute('data-amount')).toBe('10000');
    const mispriced = await sell(page, 'M2', '50');
    await expect.poll(() => saleStates(page)).toEqual(['1:price-mismatch']);
    const expected = (
      await db.query<{ detail: { expectedUnits: number } }>(
        `SELECT detail FROM offline_anomalies WHERE kind = 'price'`,
      )
    ).rows[0]!.detail.expectedUnits;
    expect(expected).not.toBe(mispriced.units);
    expect(await page.locator('li[data-seq="1"] [data-testid=sale-state]').textContent()).toBe(
      `Enregistrée, anomalie de prix (${String(expected).replace('.', ',')} kWh attendus)`,
    );
    await newSale(page);
    await sell(page, 'M2', '80');
    await expect.poll(() => saleStates(page)).toEqual(['2:overspend', '1:price-mismatch']);
    expect(await page.locator('li[data-seq="2"] [data-testid=sale-state]').textContent()).toBe(
      'Enregistrée, au-delà de l’autorisation',
    );
    await shot(page, 'fr-06-tampered-flagged');
    const flagged = await db.query<{ kind: string; detail: { excess?: number } }>(
      `SELECT kind, detail FROM offline_anomalies ORDER BY id`,
    );
    expect(flagged.rows.map((r) => r.kind)).toEqual(['price', 'overspend', 'price']);
    expect(flagged.rows[1]!.detail.excess).toBe(30);
    expect(await ledgerBooks(db)).toMatchObject({ balanced: true, duplicateTokens: 0 });
    expect(problems).toEqual([]);
    expect(a11y).toEqual([]);
    await context.close();
  }, 180_000);
});
