import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { dashboardsPlugin } from '../dashboards/index.js';
import { Gateway } from '../gateway/index.js';
import { dashboardApiPlugin } from '../gateway/customers/dashboard-api/index.js';
import { createApiKey } from '../gateway/platform/index.js';
import { machineInfo, median, percentile } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * `metergate bench live`: the way of a reading to a person's screen. A reading is published over MQTT
 * (QoS 1, as the edge publishes it) to a broker, ingested and stored by the gateway, pushed on the
 * live stream (SSE) and rendered by the meter view in a real Chromium; the time is taken in the page
 * at the first animation frame after the meter view's energy tile shows that reading's value
 * (publish instant → frame, same machine clock). Readings are sent one after another, each once the
 * previous one is on screen, so none is coalesced into another's render. Then the fleet view's first
 * paint with N meters: navigation start → the first animation frame with the fleet table's rows.
 */

const ENERGY = '1-0:1.8.0';

function readingJson(meter: string, ts: Date, seq: number, energy: number): string {
  return JSON.stringify({
    v: 1,
    meter,
    seq,
    ts: ts.toISOString(),
    values: { [ENERGY]: energy, '1-0:1.7.0': 1.2 + (seq % 7) * 0.1, '1-0:32.7.0': 230 + (seq % 5) },
    source: 'simulator',
  });
}

async function launch(executablePath: string): Promise<Browser> {
  const { chromium } = await import('playwright-core').catch(() => {
    throw new Error('bench live needs playwright-core (a devDependency: npm ci)');
  });
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/** Signs in through the login form, as a person would (the key is then in the tab's sessionStorage). */
async function signIn(page: Page, baseUrl: string, apiKey: string): Promise<void> {
  await page.goto(`${baseUrl}/ui/`);
  await page.getByLabel(/Clé d’API|API key/).fill(apiKey);
  await page.getByRole('button', { name: /Se connecter|Sign in/ }).click();
  await page.getByRole('button', { name: /Se déconnecter|Sign out/ }).waitFor();
}

export const liveBenchmark: Benchmark = {
  name: 'live',
  description:
    'reading published over MQTT → stored → SSE → shown in the meter view in Chromium (p50/p99); fleet view first paint with N meters',
  options: [
    { flags: '--readings <n>', description: 'readings timed to the meter view', default: '1000' },
    { flags: '--meters <n>', description: 'meters in the fleet view', default: '1000' },
    { flags: '--paints <n>', description: 'fleet view loads timed (median reported)', default: '5' },
    { flags: '--chromium <path>', description: 'Chromium executable', default: '/usr/bin/chromium' },
    {
      flags: '--batch-interval-ms <n>',
      description: "the ingest pipeline's batching window (the gateway's default is 100)",
      default: '100',
    },
  ],
  async run(options) {
    const readings = Number(options.readings);
    const fleet = Number(options.meters);
    const paints = Number(options.paints);
    const batchIntervalMs = Number(options.batchIntervalMs);
    for (const [k, v] of Object.entries({ readings, meters: fleet, paints, batchIntervalMs }))
      if (!Number.isInteger(v) || v <= 0)
        throw new Error(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be a positive integer`);
    const executablePath = String(options.chromium);
    if (!existsSync(executablePath))
      throw new Error(`${executablePath}: no Chromium (Debian package chromium, or --chromium PATH)`);

    const run = randomBytes(3).toString('hex');
    const prefix = `bench-live-${run}/v1`;
    const dataDir = mkdtempSync(join(os.tmpdir(), 'mg-bench-live-'));
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const brokerUrl = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const cleanups: Array<() => Promise<unknown>> = [
      async () => rmSync(dataDir, { recursive: true, force: true }),
      () => new Promise<void>((r) => broker.close(() => r())),
      () => new Promise<void>((r) => server.close(() => r())),
    ];
    try {
      // The gateway as deployed with the dashboards: file-backed PGlite, MQTT ingest, HTTP.
      const gw = new Gateway({
        dataDir,
        mqtt: { url: brokerUrl, prefix, clientId: `bench-live-gw-${run}` },
        http: { host: '127.0.0.1', port: 0 },
        ingest: { batchIntervalMs },
        plugins: async () => [
          { plugin: dashboardApiPlugin, options: {} },
          { plugin: dashboardsPlugin, options: {} },
        ],
      });
      await gw.start();
      cleanups.unshift(() => gw.stop());
      const baseUrl = gw.url!;
      const { key } = await createApiKey(gw.db!, { role: 'admin' });
      const edge = await mqtt.connectAsync(brokerUrl, { clientId: `bench-live-edge-${run}`, log: () => {} });
      cleanups.unshift(() => edge.endAsync());
      const browser = await launch(executablePath);
      cleanups.unshift(() => browser.close());
      const page = await browser.newPage();
      await signIn(page, baseUrl, key);

      // 1. Publish → on screen, in the meter view.
      const meter = 'LIVE-1';
      const topic = `${prefix}/meters/${meter}/reading`;
      let seq = 0;
      const publish = (m: string, t: string, energy: number) =>
        edge.publishAsync(t, readingJson(m, new Date(), ++seq, energy), { qos: 1 });
      await page.goto(`${baseUrl}/ui/#/meter/${meter}`);
      // Until the view's live stream is connected, a reading is not shown: publish the first one again
      // until it is (its register does not move, so the repeats are valid readings).
      const tileShows = (digits: string) =>
        page.evaluate(
          (d) =>
            document
              .querySelector('[data-testid=energy] .v')
              ?.textContent?.replace(/\D/g, '')
              .replace(/0+$/, '') === d,
          digits,
        );
      for (let tries = 0; !(await tileShows('1')); tries++) {
        if (tries === 50) throw new Error('the meter view never showed a published reading');
        await publish(meter, topic, 1000);
        await new Promise((r) => setTimeout(r, 200));
      }
      // Each change of the tile is offered to the reading being waited for (matched by its digits).
      let waiting: ((text: string, at: number) => void) | undefined;
      await page.exposeFunction('mgBenchSeen', (text: string, at: number) => waiting?.(text, at));
      await page.evaluate(() => {
        const el = document.querySelector('[data-testid=energy] .v')!;
        const w = globalThis as unknown as { mgBenchSeen(text: string, at: number): void };
        new MutationObserver(() => {
          const text = el.textContent ?? '';
          requestAnimationFrame(() => w.mgBenchSeen(text, Date.now()));
        }).observe(el, { childList: true, characterData: true, subtree: true });
      });
      const latencies: number[] = [];
      let timedOut = 0;
      for (let i = 1; i <= readings; i++) {
        const energy = 1000 + i; // an integer, so its digits on screen do not depend on the locale
        const digits = String(energy);
        const shown = new Promise<number>((resolve) => {
          const timer = setTimeout(() => resolve(NaN), 10_000);
          waiting = (text, at) => {
            if (text.replace(/\D/g, '').replace(/0+$/, '') !== digits.replace(/0+$/, '')) return;
            clearTimeout(timer);
            resolve(at);
          };
        });
        const sentAt = Date.now();
        await publish(meter, topic, energy);
        const at = await shown;
        if (Number.isNaN(at)) timedOut++;
        else latencies.push(at - sentAt);
      }
      waiting = undefined;

      // 2. The fleet view's first paint with `fleet` meters (one reading each, stored first).
      let storedReadings = 0;
      const off = gw.live.subscribe((m) => {
        if (m.type === 'reading') storedReadings++;
      });
      for (let i = 0; i < fleet; i++) {
        const id = `FLEET-${String(i).padStart(5, '0')}`;
        void publish(id, `${prefix}/meters/${id}/reading`, 500 + i);
      }
      const end = Date.now() + 60_000;
      while (storedReadings < fleet && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      off();
      // The first animation frame with the table's rows, recorded by the page from its very start.
      // (A string, not a function: code that runs in the page must not go through tsx's transform.)
      await page.addInitScript({
        content: `(() => {
          const check = () => {
            if (document.querySelectorAll('[data-testid=fleet-table] tbody tr').length >= ${Math.min(fleet, 50)})
              globalThis.mgFirstPaint = performance.now();
            else requestAnimationFrame(check);
          };
          requestAnimationFrame(check);
        })();`,
      });
      const firstPaints: number[] = [];
      for (let i = 0; i < paints; i++) {
        await page.goto('about:blank');
        await page.goto(`${baseUrl}/ui/#/fleet`);
        const handle = await page.waitForFunction(
          () => (globalThis as unknown as { mgFirstPaint?: number }).mgFirstPaint,
          undefined,
          { timeout: 60_000 },
        );
        firstPaints.push(Number(await handle.jsonValue()));
      }
      const rowsShown = await page.locator('[data-testid=fleet-table] tbody tr').count();
      return {
        benchmark: 'live',
        machine: machineInfo(),
        loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
        chromium: browser.version(),
        batchIntervalMs,
        readings,
        shown: latencies.length,
        timedOut,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: Math.max(...latencies),
        meters: fleet,
        firstPaintMs: Math.round(median(firstPaints)),
        firstPaintMsRuns: firstPaints.map(Math.round),
        fleetRowsShown: rowsShown,
        goal: { p99Ms: 1000, firstPaintMs: 1000 },
      };
    } finally {
      for (const c of cleanups) await c().catch(() => undefined);
    }
  },
};
