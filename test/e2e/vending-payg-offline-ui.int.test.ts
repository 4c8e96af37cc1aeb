/**
 * The vending console's OpenPAYGO devices and offline reconciliation (issue 22) in Chromium at
 * phone width, against the real vending API (PGlite ledger, auth, the dashboards' static app): a
 * vendor sells days to a solar home system, sets its days, reprints and reverses as for STS, gives
 * a counter sync, and is refused a free unlock; an operator unlocks it for good and reads what the
 * reconciliation of a mobile team's offline sales flagged — a price mismatch with the units sold
 * against those expected. The device side of each token is the token engine's OpenPAYGO decoder.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardsPlugin } from '../../dashboards/index.js';
import { dashboardApiPlugin } from '../../gateway/customers/dashboard-api/index.js';
import { authPlugin, PgliteDatabase, type SqlDatabase } from '../../gateway/platform/index.js';
import {
  OfflineVendingDevice,
  recordFloatMovement,
  upsertVendor,
  vendingPlugin,
  type OfflineAllowance,
  type VendingService,
} from '../../gateway/prepaid/index.js';
import { buildWorld, type World } from '../../gateway/prepaid/vending/test-fixtures/world.js';
import { OpenPaygoDecoder } from '../../token-engine/index.js';
import { launchChromium, screenshot, signIn, watchPage, type PageWatch } from './dashboards-browser.js';

// The device of the OpenPAYGO published vectors.
const KEY = 'bc41ec9530f6dac86b1a29ab82edc5fb';
const STARTING_CODE = 516959010;
const PHONE = { width: 390, height: 844 };

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let browser: Browser;
let baseUrl = '';
const shs = new OpenPaygoDecoder({ key: KEY, startingCode: STARTING_CODE });

const post = async (url: string, key: string, payload: object) => {
  const r = await app.inject({ method: 'POST', url, headers: { 'x-api-key': key }, payload });
  expect(r.statusCode, `${url}: ${r.body}`).toBeLessThan(300);
  return r.json();
};

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  world = await buildWorld(db, { meters: 3, social: false, now: () => new Date() });
  await upsertVendor(db, { id: 'V1', name: 'Agent solaire', kind: 'mobile' });
  await recordFloatMovement(
    db,
    { id: 'key:op', role: 'operator' },
    'V1',
    { kind: 'top-up', requestId: 'tu-1', amount: 1000 },
    new Date(),
  );
  app = Fastify();
  await app.register(authPlugin, { db, rateLimit: false });
  await app.register(vendingPlugin, { service: world.service as VendingService });
  await app.register(dashboardApiPlugin, { ledger: db });
  await app.register(dashboardsPlugin, {});
  await app.ready();
  await post('/api/payg-devices', world.keys.admin, {
    id: 'SHS9',
    customerId: 'C1',
    tariffId: 'example-electricity-ma',
    key: KEY,
    startingCode: STARTING_CODE,
    pricePerDay: 2.5,
  });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await world?.service.stop();
  await db?.close();
});

async function phonePage(key: string): Promise<{ page: Page; watch: PageWatch }> {
  const page = await browser.newPage({ viewport: PHONE });
  const watch = watchPage(page);
  page.on('dialog', (d) => void d.accept());
  await signIn(page, baseUrl, key, '#/vend');
  return { page, watch };
}

async function selectDevice(page: Page, id: string): Promise<void> {
  await page.getByLabel('Rechercher un compteur').fill(id);
  await page.getByRole('button', { name: 'Choisir' }).click();
  await page.getByTestId('selected').filter({ hasText: 'Appareil PAYG' }).waitFor();
}

/** Issues one token from the PAYG form; returns the digits of the receipt's token. */
async function issue(page: Page, type: string, fields: Record<string, string> = {}): Promise<string> {
  await page.getByLabel('Type de jeton').selectOption({ label: type });
  for (const [label, value] of Object.entries(fields)) await page.getByLabel(label).fill(value);
  await page.getByTestId('payg-issue').click();
  await page.getByRole('heading', { name: type }).waitFor();
  return (await page.getByTestId('token').first().textContent())!.replace(/\D/g, '');
}

/** Nothing wider than the phone's screen: no sideways scrolling of the page. */
const fitsThePhone = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe('vending console: OpenPAYGO devices and offline reconciliation, at phone width', () => {
  it('lets a vendor sell days, set days, reprint, reverse and resync a PAYG device', async () => {
    const { page, watch } = await phonePage(world.keys.vendor);
    await selectDevice(page, 'SHS9');
    expect(await page.getByTestId('payg').textContent()).toMatch(/Prix par jour : 2,50/);
    // The STS controls are not offered for a PAYG device.
    expect(await page.getByTestId('vend').count()).toBe(0);

    // ADD_TIME: 10 days at 2.50, the price shown before the sale; the token in groups of three.
    await page.getByLabel('Jours').fill('10');
    expect(await page.getByTestId('payg-price').textContent()).toMatch(/25,00/);
    const add = await issue(page, 'Ajouter des jours (vente)');
    expect(await page.getByTestId('token').first().textContent()).toMatch(/^\d{3}( \d{3})+$/);
    expect(await page.getByTestId('payg-token-type').textContent()).toBe('Ajouter des jours (vente)');
    expect(shs.enter(add)).toMatchObject({ ok: true, type: 'ADD_TIME', value: 10 });

    // SET_TIME 30 days, reprinted: the same token marked COPIE / DUPLICATA.
    const set = await issue(page, 'Fixer les jours restants', { Jours: '30' });
    expect(shs.enter(set)).toMatchObject({ ok: true, type: 'SET_TIME', value: 30 });
    await page.getByTestId('reprint').click();
    await page.getByTestId('duplicate').waitFor();
    expect((await page.getByTestId('token').first().textContent())!.replace(/\D/g, '')).toBe(set);

    // A SET_TIME sold by mistake, reversed (money back to the float, token cancelled).
    const wrong = await issue(page, 'Fixer les jours restants', { Jours: '4' });
    await page.getByTestId('reverse').click();
    await page.getByRole('heading', { name: 'Vente annulée' }).waitFor();
    const status = await db.query<{ status: string }>('SELECT status FROM tokens WHERE digits = $1', [wrong]);
    expect(status.rows[0]!.status).toBe('cancelled');

    // COUNTER_SYNC: no days asked, free, a command (reprintable, not reversible).
    await page.getByLabel('Type de jeton').selectOption({ label: 'Resynchroniser le compteur' });
    expect(await page.getByLabel('Jours').count()).toBe(0);
    const sync = await issue(page, 'Resynchroniser le compteur');
    expect(shs.enter(sync)).toMatchObject({ ok: true, type: 'COUNTER_SYNC' });
    expect(await page.getByTestId('reverse').count()).toBe(0);
    expect(await page.getByTestId('reprint').count()).toBe(1);

    // A free unlock is the operator's decision: the vendor is told, nothing is issued.
    await page.getByLabel('Type de jeton').selectOption({ label: 'Déverrouiller définitivement' });
    await page.getByTestId('payg-issue').click();
    await page.getByRole('alert').waitFor();
    expect(await fitsThePhone(page)).toBe(true);
    await screenshot(page, 'vending-payg-phone');
    // The refusal is the one expected answer in error; the page itself logged no error.
    expect(
      watch.troubles.filter(
        (t) => !(t.status === 403 || (t.kind === 'console' && /status of 403/.test(t.text))),
      ),
    ).toEqual([]);
    expect(watch.troubles.filter((t) => t.kind === 'http').map((t) => t.url)).toEqual([
      '/api/payg-devices/SHS9/tokens',
    ]);
    await page.close();
  }, 120_000);

  it('lets an operator unlock a device for good and read the offline anomalies per device, with expected units', async () => {
    // A mobile team's round: two sales reconciled, one priced otherwise, one on a meter it was not given.
    const allowance = (await post('/api/vendors/V1/offline-allowances', world.keys.vendor, {
      requestId: 'round-1',
      deviceId: 'tablet-7',
      amount: 200,
      meterIds: ['M1', 'M2'],
    })) as OfflineAllowance;
    const device = new OfflineVendingDevice('tablet-7');
    device.provision(allowance);
    const good = device.sell('M1', 30, new Date());
    const mispriced = { ...device.sell('M2', 20, new Date()), units: 99.9 };
    const synced = await post('/api/offline/sync', world.keys.vendor, {
      allowanceId: allowance.allowanceId,
      deviceId: 'tablet-7',
      vends: [good, mispriced, { ...good, seq: 9, meterId: 'M3' }],
    });
    expect(synced.outcomes.map((o: { status: string }) => o.status)).toEqual([
      'accepted',
      'price-mismatch',
      'unknown-meter',
    ]);
    const expected = synced.outcomes[1].expectedUnits as number;

    const { page, watch } = await phonePage(world.keys.operator);
    await selectDevice(page, 'SHS9');
    const unlock = await issue(page, 'Déverrouiller définitivement');
    expect(shs.enter(unlock)).toMatchObject({ ok: true, type: 'DISABLE_PAYG' });

    await page.getByText('Ventes hors ligne : anomalies du rapprochement').click();
    const rows = page.getByTestId('offline-anomaly');
    await rows.first().waitFor();
    expect(await page.getByTestId('offline-device').getAttribute('data-device')).toBe('tablet-7');
    expect(await page.getByTestId('offline-allowance').getAttribute('data-allowance')).toBe(
      allowance.allowanceId,
    );
    expect(await rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-kind')))).toEqual([
      'price-mismatch',
      'unknown-meter',
    ]);
    const fr = (n: number) => n.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
    expect((await page.getByTestId('price-mismatch').textContent())!.replace(/\s+/g, ' ').trim()).toBe(
      `Vendu ${fr(99.9)} kWh, attendu ${fr(expected)} kWh`,
    );

    // Narrowed to one kind of anomaly.
    await page.getByLabel('Anomalie', { exact: true }).selectOption({ label: 'Compteur non attribué' });
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="offline-anomaly"]').length === 1,
    );
    expect(await rows.getAttribute('data-kind')).toBe('unknown-meter');
    expect(await fitsThePhone(page)).toBe(true);

    // In Arabic, the same list.
    await page.getByRole('button', { name: 'العربية' }).click();
    await page.getByText('المبيعات دون اتصال: اختلالات المطابقة').waitFor();
    expect(await rows.count()).toBe(1);
    expect(await fitsThePhone(page)).toBe(true);
    await screenshot(page, 'vending-offline-anomalies-phone-ar');
    expect(watch.troubles).toEqual([]);
    await page.close();
  }, 120_000);
});
