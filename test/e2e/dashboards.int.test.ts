import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeterDecoder } from '../../token-engine/index.js';
import { pdfText } from '../../gateway/customers/exports/testing/pdf-text.js';
import { ARTIFACTS, launchChromium, screenshot, seriousViolations, signIn } from './dashboards-browser.js';
import { startDashboardHarness, type DashboardHarness } from './dashboards-harness.js';

/**
 * The dashboards in Debian's Chromium against the real gateway pieces (see dashboards-harness.ts):
 * fleet of 1,003 meters, live reading in the meter view, a vend whose token the meter's STS decoder
 * accepts, customer exports parsed back, and axe-core on every view. Screenshots land in
 * test-artifacts/dashboards/.
 */

let h: DashboardHarness;
let browser: Browser;
let page: Page;
let selfReadingRefusal = '';
const FLEET = 1000;
const frNumber = (n: number, digits: number) =>
  new Intl.NumberFormat('fr-MA', { maximumFractionDigits: digits }).format(n);

beforeAll(async () => {
  h = await startDashboardHarness({ fleet: FLEET });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

async function freshPage(): Promise<Page> {
  await page?.close();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (e) => {
    throw e;
  });
  return page;
}

async function expectAccessible(p: Page, view: string): Promise<void> {
  const serious = await seriousViolations(p);
  expect(serious, `${view}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
}

describe('dashboards in Chromium', () => {
  it('sign-in page: French by default, a wrong key is refused in words, accessible', async () => {
    const p = await freshPage();
    await p.goto(`${h.baseUrl}/`);
    expect(new URL(p.url()).pathname).toBe('/ui/');
    expect(await p.evaluate(() => document.documentElement.lang)).toBe('fr');
    await p.getByLabel('Clé d’API').fill('mgk_0000000000000000_' + 'x'.repeat(43));
    await p.getByRole('button', { name: 'Se connecter' }).click();
    await p.getByRole('alert').getByText('Clé inconnue ou révoquée.').waitFor();
    expect(await p.evaluate(() => sessionStorage.getItem('metergate.apiKey'))).toBeNull();
    await screenshot(p, 'login');
    await expectAccessible(p, 'login');
  });

  it('fleet view lists every meter with its last reading, in French by default', async () => {
    const p = await freshPage();
    const t0 = Date.now();
    await signIn(p, h.baseUrl, h.world.keys.operator);
    await p.locator('[data-meter="F-0001"]').waitFor();
    const paintMs = Date.now() - t0;
    // 200 rows rendered at first, the rest behind "show more"; the tiles count all of them.
    expect(await p.locator('[data-testid="fleet-table"] tbody tr').count()).toBe(200);
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Parc de compteurs');
    expect(await p.getByTestId('online').textContent()).toContain(frNumber(FLEET + 3, 0));
    // Meter ids are text, never markup; the row links to the meter view.
    await p.getByLabel('Filtrer par identifiant').fill('M1');
    const link = p.locator('[data-meter="M1"] a');
    expect(await link.textContent()).toBe('M1');
    expect(await link.getAttribute('href')).toBe('#/meter/M1');
    await p.getByLabel('Filtrer par identifiant').fill('F-099');
    await p.locator('[data-meter="F-0999"]').waitFor();
    expect(await p.locator('[data-testid="fleet-table"] tbody tr').count()).toBe(10);
    await p.getByLabel('Filtrer par identifiant').fill('');
    // The analytics scanner opened a high-consumption anomaly on M1 (see the harness).
    const alert = p.locator('[data-testid="alerts"] li[data-kind="high_consumption"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Surconsommation par rapport à l’an dernier');
    expect(await alert.locator('a').textContent()).toBe('M1');
    await screenshot(p, 'fleet', false);
    await expectAccessible(p, 'fleet');
    // First meaningful paint of the fleet view, signed in already (key in sessionStorage): time from
    // navigation start until the first meter row is in the DOM, as the page itself measures it.
    // Recorded as an artifact, not asserted (the machine is shared).
    const fmp: number[] = [];
    let breakdown: unknown = null;
    for (let i = 0; i < 5; i++) {
      const q = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await q.addInitScript((key) => {
        sessionStorage.setItem('metergate.apiKey', key);
        sessionStorage.setItem('metergate.role', 'operator'); // as the sign-in leaves it
        new MutationObserver((_m, obs) => {
          if (document.querySelector('[data-meter]')) {
            (window as unknown as { __fmp: number }).__fmp = performance.now();
            obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      }, h.world.keys.operator);
      await q.goto(`${h.baseUrl}/ui/#/fleet`);
      await q.locator('[data-meter]').first().waitFor();
      fmp.push(await q.evaluate(() => (window as unknown as { __fmp: number }).__fmp));
      if (i === 0) {
        // Where the time goes (ms since navigation start), for the report.
        breakdown = await q.evaluate(() =>
          performance
            .getEntriesByType('resource')
            .map((e) => ({
              url: e.name.replace(location.origin, ''),
              start: Math.round(e.startTime),
              end: Math.round((e as PerformanceResourceTiming).responseEnd),
            }))
            .filter((e) => e.url.startsWith('/api/') || e.url.endsWith('app.js')),
        );
      }
      await q.close();
    }
    fmp.sort((a, b) => a - b);
    writeFileSync(
      join(ARTIFACTS, 'fleet-paint.json'),
      JSON.stringify(
        {
          meters: FLEET + 3,
          signInToRowsMs: paintMs,
          firstMeaningfulPaintMs: fmp,
          medianMs: fmp[2],
          firstLoadRequests: breakdown,
        },
        null,
        1,
      ),
    );
  });

  it('vending console: quote, vend, receipt token accepted by the meter’s STS decoder; advance for a social household', async () => {
    const p = await freshPage();
    await signIn(p, h.baseUrl, h.world.keys.vendor);
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Console de vente');
    await p.getByLabel('Rechercher un compteur').fill('M2');
    await p.getByLabel('Rechercher un compteur').press('Enter');
    await p.getByTestId('selected').waitFor();
    await p.getByLabel('Montant payé (MAD)').fill('100');
    await p.getByRole('button', { name: 'Devis' }).click();
    await p.getByTestId('quote').waitFor();
    await p.getByTestId('vend').click();
    const tokenText = (await p.getByTestId('token').first().textContent())!;
    const token = tokenText.replace(/\s/g, '');
    expect(token).toMatch(/^\d{20}$/);
    const meter = h.world.meters.find((m) => m.id === 'M2')!;
    const decoded = new MeterDecoder({ meterKey: meter.key }).enter(token, new Date());
    expect(decoded).toMatchObject({ ok: true });
    await screenshot(p, 'vend-receipt');
    await expectAccessible(p, 'vending');

    // Advance: C1 (meter M1) is in the social programme.
    await p.getByLabel('Rechercher un compteur').fill('M1');
    await p.getByLabel('Rechercher un compteur').press('Enter');
    await p.getByLabel('Avance (kWh)').fill('5');
    await p.getByRole('button', { name: 'Accorder l’avance' }).click();
    await p.getByRole('heading', { name: 'Avance en kWh (foyer éligible)', level: 2 }).waitFor();
    const advance = (await p.getByTestId('token').first().textContent())!.replace(/\s/g, '');
    const m1 = h.world.meters.find((m) => m.id === 'M1')!;
    expect(new MeterDecoder({ meterKey: m1.key }).enter(advance, new Date())).toMatchObject({
      ok: true,
      units: 5,
    });
  });

  it('vending console (operator): a management token the meter accepts; unknown meter explained', async () => {
    const p = await freshPage();
    await signIn(p, h.baseUrl, h.world.keys.operator, '#/vend');
    await p.getByLabel('Rechercher un compteur').fill('NOPE-1');
    await p.getByLabel('Rechercher un compteur').press('Enter');
    await p.getByText('Compteur NOPE-1 inconnu.').waitFor();
    await p.getByLabel('Rechercher un compteur').fill('M3');
    await p.getByRole('button', { name: 'Choisir' }).click();
    await p.getByTestId('selected').waitFor();
    await p.getByLabel('Opération').selectOption('clear-tamper');
    await p.getByRole('button', { name: 'Générer le jeton' }).click();
    await p.getByRole('heading', { name: 'Jetons de gestion (exploitant)', level: 2 }).waitFor();
    const token = (await p.getByTestId('token').first().textContent())!.replace(/\s/g, '');
    const m3 = h.world.meters.find((m) => m.id === 'M3')!;
    expect(new MeterDecoder({ meterKey: m3.key }).enter(token, new Date())).toMatchObject({ ok: true });
    await screenshot(p, 'vend-management');
    await expectAccessible(p, 'vending (operator)');
  });

  it('meter view: a reading published over MQTT appears within 2 s; history, last year and tokens shown', async () => {
    const p = await freshPage();
    await signIn(p, h.baseUrl, h.world.keys.operator, '#/meter/M1');
    await p.getByTestId('live-chart').waitFor();
    // The stream is open once the first reading (from the readings API) is on the chart.
    await p.waitForFunction(() =>
      /\d/.test(document.querySelector('[data-testid="live-points"]')?.textContent ?? ''),
    );
    await p.waitForTimeout(300); // let the SSE connection establish before publishing
    const before = (await p.getByTestId('live-points').textContent())!;
    const reading = await h.publishReading('M1');
    const power = frNumber(reading.values['1-0:1.7.0']!, 3);
    // Requirement of the issue: visible within 2 s of the reading.
    await p.waitForFunction(
      ([prev, text]) =>
        document.querySelector('[data-testid="live-points"]')?.textContent !== prev &&
        (document.querySelector('[data-testid="power"]')?.textContent ?? '').includes(text!),
      [before, power],
      { timeout: 2_000 },
    );
    // Daily consumption: 30 days this year and the same weekdays a year earlier, from the rollups.
    await p.getByText('Tableau de la consommation journalière').click();
    const rows = p.locator('details table tbody tr');
    expect(await rows.count()).toBe(30);
    const cells = await rows.nth(0).locator('td').allTextContents();
    expect(cells.every((c) => c !== '—')).toBe(true);
    // A purchase for M1 appears in the token history when the panel reloads on the meter's event.
    const sale = await h.app.inject({
      method: 'POST',
      url: '/api/vend',
      headers: { 'x-api-key': h.world.keys.vendor },
      payload: { meterId: 'M1', amount: 20, requestId: `meter-view-${Date.now()}` },
    });
    expect(sale.statusCode).toBe(200);
    // The meter reports the token accepted and its credit: the event travels MQTT → ingest → live stream.
    await h.publishEvent({ meter: 'M1', ts: new Date().toISOString(), kind: 'token.accepted', credit: 93.5 });
    await p.getByTestId('credit').getByText('93,5 kWh').waitFor({ timeout: 5_000 });
    await p.getByRole('cell', { name: 'Achat' }).first().waitFor({ timeout: 5_000 });
    const evidence = p
      .locator('[data-testid="alerts"] li[data-kind="high_consumption"] .evidence-line')
      .first();
    expect(await evidence.textContent()).toMatch(/kWh contre .* kWh aux mêmes jours de l’an dernier \(×/);
    await p.getByTestId('comparison').waitFor();
    await screenshot(p, 'meter');
    await expectAccessible(p, 'meter');
  });

  it('customer view: six months, statement, exports that open in exceljs and pdf.js; English switch', async () => {
    const sale = await h.app.inject({
      method: 'POST',
      url: '/api/vend',
      headers: { 'x-api-key': h.world.keys.vendor },
      payload: { meterId: 'M1', amount: 10, requestId: `customer-view-${Date.now()}` },
    });
    expect(sale.statusCode).toBe(200);
    const p = await freshPage();
    await signIn(p, h.baseUrl, h.world.keys.customer);
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Mon espace client');
    const months = p.locator('[data-testid="months-table"] tbody tr');
    await months.nth(5).waitFor();
    expect(await months.count()).toBe(6);
    // The statement lists the purchase with its token, as on the receipt.
    const token = (sale.json() as { token: string }).token.replace(/(\d{4})(?=\d)/g, '$1 ');
    await p.locator('[data-testid="statement"]').getByText(token).waitFor();

    // The over-consumption warning, as utilities send it, from the analytics comparison.
    await p.getByTestId('overconsumption').waitFor();
    // Self-reading: an index far below the meter's register is refused, in plain words from the gateway.
    await p.getByLabel('Index relevé (kWh)').fill('5');
    await p.getByRole('button', { name: 'Envoyer' }).click();
    const result = p.getByTestId('self-reading-result');
    await result.waitFor();
    selfReadingRefusal = (await result.textContent())!;
    expect(selfReadingRefusal).toMatch(/^Votre index n’a pas été accepté : /);
    expect(await result.getAttribute('class')).toBe('refusal');

    const downloads: Record<string, Buffer> = {};
    for (const fmt of ['csv', 'xlsx', 'pdf']) {
      const [dl] = await Promise.all([
        p.waitForEvent('download'),
        p.locator(`[data-export="${fmt}"]`).click(),
      ]);
      const path = join(ARTIFACTS, `customer-export.${fmt}`);
      await dl.saveAs(path);
      downloads[fmt] = readFileSync(path);
    }
    const csv = downloads
      .csv!.toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe('Mois;Consommation (kWh);Jours relevés;Jours estimés');
    expect(csv).toHaveLength(7);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(downloads.xlsx! as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('Mensuel')!;
    expect(String(sheet.getCell('A1').value)).toContain('M1');
    const nums: number[] = [];
    sheet.eachRow((row) => {
      const v = row.getCell(2).value;
      if (typeof v === 'number') nums.push(v);
    });
    expect(nums).toHaveLength(6);
    expect(nums.every((n) => n > 0)).toBe(true);
    const [pdfPage] = await pdfText(new Uint8Array(downloads.pdf!));
    expect(pdfPage).toContain('Historique de consommation');
    expect(pdfPage).toContain('M1');
    await screenshot(p, 'customer');
    writeFileSync(join(ARTIFACTS, 'self-reading-refusal.txt'), selfReadingRefusal);
    await expectAccessible(p, 'customer');

    await p.getByRole('button', { name: 'English' }).click();
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('My account');
    expect(await p.evaluate(() => document.documentElement.lang)).toBe('en');
    await screenshot(p, 'customer-en');
  });
});
