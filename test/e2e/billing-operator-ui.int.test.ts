/**
 * The operators' billing page in Chromium against the real billing API (PGlite, auth, the dashboards'
 * static app): receivables, bills filtered, a bill opened with its PDF, a counter payment recorded
 * (its receipt shown, the bill paid), a plan request approved.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardsPlugin } from '../../dashboards/index.js';
import { BillingFeature } from '../../gateway/billing/index.js';
import { addAccount, billingWorld, measuredIndex } from '../../gateway/billing/testing/world.js';
import { dashboardApiPlugin } from '../../gateway/customers/dashboard-api/index.js';
import { authPlugin, createApiKey, type SqlDatabase } from '../../gateway/platform/index.js';
import { launchChromium, seriousViolations, signIn } from './dashboards-browser.js';

let db: SqlDatabase;
let app: FastifyInstance;
let billing: BillingFeature;
let browser: Browser;
let baseUrl = '';
let operator = '';

beforeAll(async () => {
  db = await billingWorld();
  for (const n of [1, 2]) {
    await addAccount(db, n);
    await measuredIndex(db, `M-${n}`, '2026-01-31', 1180);
  }
  billing = new BillingFeature({ db, clock: () => new Date('2026-02-10T09:00:00Z'), deliveryEveryMs: false });
  await billing.start();
  await billing.runner.execute((await billing.runner.create('2026-01', 'test')).id);
  app = Fastify();
  await app.register(authPlugin, { db, rateLimit: false });
  await app.register(billing.feature.plugin, billing.feature.options);
  await app.register(dashboardApiPlugin, { ledger: db });
  await app.register(dashboardsPlugin, {});
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  operator = (await createApiKey(db, { role: 'operator' })).key;
  const customer = (await createApiKey(db, { role: 'customer', customerId: 'cust-2' })).key;
  await app.inject({
    method: 'POST',
    url: '/api/customers/cust-2/instalment-plans',
    headers: { 'x-api-key': customer },
    payload: { billNumber: '2026-000002', months: 3 },
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await billing?.stop();
  await db?.close();
});

describe('operators billing page (issue 16 §11)', () => {
  it('shows receivables, opens a bill and its PDF, records a counter payment, approves a plan', async () => {
    const page = await browser.newPage();
    await signIn(page, baseUrl, operator, '#/billing');
    await page.getByRole('link', { name: 'Facturation' }).click();
    await page.getByTestId('collection-rate').waitFor();
    await page.getByTestId('aged-receivables').waitFor();
    await page.getByTestId('run-row').first().waitFor();
    expect(await page.getByTestId('bill-row').count()).toBe(2);
    await page.getByLabel('Statut').first().selectOption('in-plan');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.getByText('Aucun élément.').first().waitFor();

    // The plan request waiting for a decision: approved.
    await page.getByTestId('plan-request').waitFor();
    await page.getByRole('button', { name: 'Accepter' }).click();
    await page.getByTestId('plan-request').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.getByRole('button', { name: '2026-000002' }).waitFor();

    await page.getByLabel('Statut').first().selectOption('');
    await page.getByRole('button', { name: 'Filtrer' }).click();
    await page.getByRole('button', { name: '2026-000001' }).click();
    await page.getByTestId('bill-detail').waitFor();
    const pdf = page.waitForEvent('download');
    await page.getByTestId('bill-pdf').click();
    expect((await pdf).suggestedFilename()).toBe('facture-2026-000001.pdf');

    const ttc = (
      await (await app.inject({ url: '/api/bills/2026-000001', headers: { 'x-api-key': operator } })).json()
    ).amountTTC;
    await page
      .getByLabel('Montant', { exact: true })
      .fill(`${Math.floor(ttc / 100)},${String(ttc % 100).padStart(2, '0')}`);
    await page.getByLabel('Référence').fill('GUICHET-001');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await expect
      .poll(() => page.getByTestId('payment-receipt').textContent())
      .toMatch(/^Reçu REC-\d{4}-\d{6}/);
    await expect.poll(() => page.getByTestId('bill-status').getAttribute('data-status')).toBe('paid');
    await expect
      .poll(() => page.getByTestId('customer-balance').textContent())
      .toMatch(/^Solde du client : 0,00/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });
});
