/**
 * The vending console's daily operations (issue 22) in Chromium against the real vending API
 * (PGlite ledger, auth, the dashboards' static app): a vendor opens its shift, sells, reverses a
 * sale (told the token cannot be revoked), reprints a sale marked COPIE / DUPLICATA, issues the
 * month's free basic electricity, and closes the shift with a cash-up.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardsPlugin } from '../../dashboards/index.js';
import { dashboardApiPlugin } from '../../gateway/customers/dashboard-api/index.js';
import { authPlugin, PgliteDatabase, type SqlDatabase } from '../../gateway/platform/index.js';
import {
  recordFloatMovement,
  upsertProgramme,
  upsertVendor,
  vendingPlugin,
  type VendingService,
} from '../../gateway/prepaid/index.js';
import { buildWorld, type World } from '../../gateway/prepaid/vending/test-fixtures/world.js';
import { launchChromium, signIn } from './dashboards-browser.js';

let db: SqlDatabase;
let world: World;
let app: FastifyInstance;
let browser: Browser;
let baseUrl = '';

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  world = await buildWorld(db, { meters: 2, now: () => new Date() });
  await upsertProgramme(db, { id: 'social', name: 'Social programme', fbeUnits: 20 });
  await upsertVendor(db, { id: 'V1', name: 'Épicerie Atlas', kind: 'shop' });
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
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await world?.service.stop();
  await db?.close();
});

async function selectMeter(page: Page, id: string): Promise<void> {
  await page.getByLabel('Rechercher un compteur').fill(id);
  await page.getByRole('button', { name: 'Choisir' }).click();
  await page.getByTestId('selected').waitFor();
}

async function sell(page: Page, amount: string): Promise<string> {
  await page.getByLabel('Montant payé (MAD)').fill(amount);
  await page.getByTestId('vend').click();
  await page.getByRole('heading', { name: 'Reçu' }).waitFor();
  return (await page.getByTestId('token').first().textContent())!.replace(/\D/g, '');
}

describe('vending console: reversal, reprint, free basic electricity, shift', () => {
  it('runs a vendor’s day at the counter', async () => {
    const page = await browser.newPage();
    page.on('dialog', (d) => void d.accept());
    await signIn(page, baseUrl, world.keys.vendor, '#/vend');

    // Open the shift with 20 MAD in the drawer.
    await page.getByLabel('Fonds de caisse (MAD)').fill('20');
    await page.getByRole('button', { name: 'Ouvrir la caisse' }).click();
    await page.getByRole('button', { name: 'Clôturer la caisse' }).waitFor();

    // A sale on the wrong meter, reversed: the console says the token cannot be revoked.
    await selectMeter(page, 'M2');
    const wrong = await sell(page, '50');
    expect(wrong).toMatch(/^\d{20}$/);
    await page.getByTestId('reverse').click();
    await page.getByRole('heading', { name: 'Vente annulée' }).waitFor();
    expect(await page.getByTestId('reversal-notice').textContent()).toMatch(/ne peut pas être révoqué/);
    const status = await db.query<{ status: string }>('SELECT status FROM tokens WHERE digits = $1', [wrong]);
    expect(status.rows[0]!.status).toBe('cancelled');

    // The right sale, reprinted: same token, marked COPIE / DUPLICATA.
    const sold = await sell(page, '100');
    await page.getByTestId('reprint').click();
    await page.getByTestId('duplicate').waitFor();
    expect(await page.getByTestId('duplicate').textContent()).toContain('COPIE / DUPLICATA');
    expect((await page.getByTestId('token').first().textContent())!.replace(/\D/g, '')).toBe(sold);

    // This month's free basic electricity for the social household on M1.
    await selectMeter(page, 'M1');
    await page.getByTestId('free-basic').click();
    await page.getByRole('heading', { name: 'Électricité de base gratuite du mois' }).waitFor();
    await page.getByTestId('free-basic').click();
    await page
      .getByRole('alert')
      .filter({ hasText: /déjà été délivrée/ })
      .waitFor();

    // Cash-up: 20 opening + 50 − 50 (reversed, cash handed back) + 100 = 120 expected; 118 counted.
    await page.getByLabel('Espèces comptées (MAD)').fill('118');
    await page.getByRole('button', { name: 'Clôturer la caisse' }).click();
    await page.getByTestId('cash-up').waitFor();
    const cashUp = (await page.getByTestId('cash-up').textContent())!.replace(/\s/g, ' ');
    expect(cashUp).toMatch(/Attendu 120[,.]00/);
    expect(cashUp).toMatch(/écart -2[,.]00|écart −2[,.]00/);
    const z = page.getByRole('link', { name: /Rapport Z/ });
    expect(await z.getAttribute('href')).toMatch(/^\/api\/shifts\/[0-9a-f-]+\/z-report\.pdf$/);
    await page.close();
  }, 120_000);

  it('lets an operator schedule a key change that rides on the next sale', async () => {
    const page = await browser.newPage();
    await signIn(page, baseUrl, world.keys.operator, '#/vend');
    await selectMeter(page, 'M2');
    await page.getByTestId('key-change').click();
    await page.getByTestId('info').filter({ hasText: 'KRN 2' }).waitFor();
    // The next sale carries the key change tokens before the credit token.
    await sell(page, '30');
    expect(await page.getByTestId('token').count()).toBe(5);
    // An operator's credit note on the sale (the token stays delivered), its reason asked for.
    page.on('dialog', (d) => void d.accept('compteur en panne une semaine'));
    await page.getByTestId('credit-note').click();
    await page.getByRole('heading', { name: 'Avoir établi' }).waitFor();
    expect(await page.getByTestId('refund').textContent()).toMatch(/30[,.]00/);
    await page.close();
  }, 120_000);
});
