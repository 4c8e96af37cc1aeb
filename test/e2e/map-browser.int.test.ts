/**
 * Issue 26, the map page in Chromium against the real demo (`metergate demo`: simulated fleet laid
 * over a Rabat district, PGlite, in-process jobs): every meter of the district is on the map (the
 * counts of the bubbles and dots add up to the meters the API lists), a transformer cut through the
 * simulator shows as an open outage, an installation work order shows at its place and the agency's
 * cases layer switches on, searching a meter and clicking its dot opens the meter's page, and the
 * page logs no error. Screenshots in French, Arabic and at phone size land in
 * test-artifacts/dashboards/. Waits are bounded for liveness only (no timed assertion).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { freePort } from '../support/services.js';
import { launchChromium, screenshot, signIn, watchPage, type PageWatch } from './dashboards-browser.js';
import { getJson, postJson, waitFor } from './support/http.js';
import { removeTempDirs, spawnMetergate, stopAll, tempDir } from './support/processes.js';

const METERS = 30;
const READY_MS = 180_000;
/** Long enough that the outage stays open while the browser looks at it. */
const CUT_SECONDS = 900;

interface Feature {
  geometry: { coordinates: [number, number] };
  properties: { id: string; state: string; transformer: string };
}

/** The meters the map draws: the sum of every bubble's and dot's count in Leaflet's marker pane. */
function countedOnMap(page: Page): Promise<number> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.leaflet-marker-pane [data-count]')).reduce(
      (n, el) => n + Number(el.getAttribute('data-count')),
      0,
    ),
  );
}

/** Waits until the map has drawn `meters` meters in view (its legend's total and the markers agree). */
async function mapShows(page: Page, meters: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const total = document.querySelector('[data-testid="map-total"]')?.getAttribute('data-total');
      const drawn = Array.from(document.querySelectorAll('.leaflet-marker-pane [data-count]')).reduce(
        (sum, el) => sum + Number(el.getAttribute('data-count')),
        0,
      );
      return total === String(n) && drawn === n;
    },
    meters,
    { timeout: 60_000 },
  );
}

function errorsOf(watch: PageWatch) {
  return watch.troubles;
}

describe('the network map page, in Chromium on the demo', () => {
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await stopAll();
    removeTempDirs();
  });

  it('maps every meter of the district, shows an open outage, opens a meter from its dot; fr, ar, phone', async () => {
    const port = await freePort();
    const demo = spawnMetergate('map-browser', [
      'demo',
      '--port',
      String(port),
      '--meters',
      String(METERS),
      '--data-dir',
      tempDir('map-browser'),
    ]);
    const adminKey = (await demo.waitForOutput(/admin\s+(mgk_\S+)/, READY_MS))[1]!;
    const url = `http://127.0.0.1:${port}`;

    // The district as the API lists it, once every live meter reports.
    const features = await waitFor(
      'every live meter reporting on the map',
      async () => {
        const r = await getJson<{ features: Feature[] }>(
          `${url}/api/map/meters?bbox=-7,33.9,-6.8,34`,
          adminKey,
        );
        const live = r.body.features.filter((f) => f.properties.state !== 'unread');
        return live.length >= METERS && live.every((f) => f.properties.state === 'reporting')
          ? r.body.features
          : undefined;
      },
      READY_MS,
      2000,
    );

    // Cut the transformer with the most live meters; wait for its outage.
    const live = features.filter((f) => f.properties.state !== 'unread');
    const perTransformer = new Map<string, number>();
    for (const f of live)
      perTransformer.set(f.properties.transformer, (perTransformer.get(f.properties.transformer) ?? 0) + 1);
    const transformer = [...perTransformer].sort((a, b) => b[1] - a[1])[0]![0];
    const cut = await postJson(`${url}/api/simulator/faults`, adminKey, {
      kind: 'outage',
      transformer,
      seconds: CUT_SECONDS,
    });
    expect(cut.status).toBe(202);
    const outage = await waitFor(
      `an open outage on ${transformer}`,
      async () =>
        (
          await getJson<{ outages: { id: string; transformer: string }[] }>(
            `${url}/api/outages?status=open`,
            adminKey,
          )
        ).body.outages.find((o) => o.transformer === transformer),
      120_000,
      2000,
    );

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch = watchPage(page);
    await signIn(page, url, adminKey, '#/map');
    await page.getByRole('heading', { name: 'Carte du réseau' }).waitFor();
    await page.getByRole('link', { name: 'Carte' }).waitFor();

    // Every meter of the district, once: the counts drawn add up to the API's list.
    await mapShows(page, features.length);
    expect(await countedOnMap(page)).toBe(features.length);

    // The open outage: in the list beside the map and as its transformer's marker.
    const line = page.locator(`[data-testid="map-outages"] li[data-outage="${outage.id}"]`);
    await line.waitFor();
    expect(await line.textContent()).toContain(transformer);
    await page.locator('.leaflet-marker-pane .mg-transformer.mg-outage').first().waitFor();
    await screenshot(page, 'map-fr', false);

    // Work orders at their place (an installation with no connection point yet, placed by position)
    // and the agency's open claims and connection requests, each a switchable layer.
    const [lon, lat] = live[0]!.geometry.coordinates;
    const installation = await postJson(`${url}/api/work-orders`, adminKey, {
      kind: 'installation',
      meter: 'NEW-MAP-1',
      address: '1 rue de la Pose',
      lat,
      lon,
    });
    expect(installation.status).toBe(201);
    await page.locator('input[data-layer="workOrders"]').check();
    await page.locator('.leaflet-marker-pane .mg-workorder').first().waitFor();
    const casesLayer = page.waitForResponse(
      (r) => r.url().includes('/api/map/cases?bbox=') && r.status() === 200,
    );
    await page.getByRole('checkbox', { name: 'Réclamations et demandes de raccordement' }).check();
    await casesLayer;

    // Arabic, right to left.
    await page.getByRole('button', { name: 'العربية' }).click();
    await page.getByRole('heading', { name: 'خريطة الشبكة' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await page.getByText('الانقطاعات الجارية').first().waitFor();
    await screenshot(page, 'map-ar', false);
    await page.getByRole('button', { name: 'Français' }).click();
    await page.getByRole('heading', { name: 'Carte du réseau' }).waitFor();

    // Search a meter (one hit: the map centres on it), then its dot opens its page.
    const meter = live.find((f) => f.properties.transformer !== transformer)!.properties.id;
    await page.getByRole('searchbox').fill(meter);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.locator('[data-testid="map-results"]').getByRole('button', { name: meter }).waitFor();
    const dot = page.locator(`.leaflet-marker-pane [data-meter="${meter}"]`);
    await dot.waitFor();
    await dot.click();
    await page.waitForURL(new RegExp(`#/meter/${meter}$`));
    await page.getByRole('heading', { name: new RegExp(meter) }).waitFor();

    // A phone: the same map, usable at 390 × 844.
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const phoneWatch = watchPage(phone);
    await signIn(phone, url, adminKey, '#/map');
    await phone.getByRole('heading', { name: 'Carte du réseau' }).waitFor();
    await mapShows(phone, features.length);
    const box = await phone.locator('[data-testid="map"]').boundingBox();
    expect(box!.width).toBeLessThanOrEqual(390);
    expect(box!.height).toBeGreaterThan(300);
    await screenshot(phone, 'map-phone', false);
    await phone.getByRole('button', { name: 'العربية' }).click();
    await phone.getByRole('heading', { name: 'خريطة الشبكة' }).waitFor();
    await screenshot(phone, 'map-phone-ar', false);

    expect(errorsOf(watch)).toEqual([]);
    expect(errorsOf(phoneWatch)).toEqual([]);
    // The demo's clean stop is test/e2e/clean-stop.int.test.ts's subject; afterAll stops it here.
  }, 900_000);
});
