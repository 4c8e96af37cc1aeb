/**
 * Issue 26 in the demo: the map shows every meter where it is; cutting a transformer's power through
 * the simulator opens one outage, the affected customer who chose notifications gets one at the
 * start and one at restoration in the outbox, restoring it closes the incident, and the month's
 * SAIDI/SAIFI move. Waits are bounded for liveness only (no timed assertion).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, requireCommand } from '../support/services.js';
import { getJson, postJson, waitFor } from './support/http.js';
import { removeTempDirs, spawnMetergate, stopAll, tempDir } from './support/processes.js';

const METERS = 40;
const READY_MS = 180_000;
/** Longer than IEEE 1366's 3 minutes, so the interruption is sustained and counts in SAIDI. */
const CUT_SECONDS = 200;

interface Feature {
  geometry: { type: string; coordinates: [number, number] };
  properties: { id: string; kind: string; state: string; transformer: string };
}
interface Outage {
  id: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  transformer: string;
  meters: string[];
  customers: string[];
}

describe('the network in the field, in the demo', () => {
  afterAll(async () => {
    await stopAll();
    removeTempDirs();
  });

  it('maps the fleet, turns a transformer power cut into one outage with notices, and counts it in SAIDI', async () => {
    requireCommand('socat');
    const port = await freePort();
    const demo = spawnMetergate('field-demo', [
      'demo',
      '--port',
      String(port),
      '--meters',
      String(METERS),
      '--data-dir',
      tempDir('field-demo'),
    ]);
    const adminKey = (await demo.waitForOutput(/admin\s+(mgk_\S+)/, READY_MS))[1]!;
    const t0 = Date.now();
    const step = (what: string) =>
      console.info(`field demo: ${what} at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const url = `http://127.0.0.1:${port}`;
    const month = new Date().toISOString().slice(0, 7);
    const monthStart = `${month}-01T00:00:00Z`;
    const before = (
      await getJson<{ saidiMinutes: number; interruptions: number }>(
        `${url}/api/reliability?from=${monthStart}`,
        adminKey,
      )
    ).body;

    // Every meter on the map, each inside the district, with its transformer.
    const features = await waitFor(
      'every live meter reporting on the map',
      async () => {
        const r = await getJson<{ type: string; features: Feature[] }>(
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
    step('every meter reporting on the map');
    expect(features.every((f) => f.geometry.type === 'Point' && f.properties.transformer)).toBe(true);
    expect(new Set(features.map((f) => f.properties.kind))).toEqual(new Set(['prepaid', 'postpaid']));

    // The transformer with the most prepaid meters (their customers are in the ledger).
    const byTransformer = new Map<string, Feature[]>();
    for (const f of features) {
      if (f.properties.state === 'unread') continue;
      byTransformer.set(f.properties.transformer, [
        ...(byTransformer.get(f.properties.transformer) ?? []),
        f,
      ]);
    }
    const [transformer, meters] = [...byTransformer].sort(
      (a, b) =>
        b[1].filter((f) => f.properties.id.startsWith('PP-')).length -
        a[1].filter((f) => f.properties.id.startsWith('PP-')).length,
    )[0]!;
    const prepaid = meters.find((f) => f.properties.id.startsWith('PP-'))!.properties.id;
    const customerId = `CUST-${prepaid.slice(3)}`;
    // That customer chooses SMS notifications, in Arabic.
    const prefs = await fetch(`${url}/api/customers/${customerId}/notification-preferences`, {
      method: 'PUT',
      headers: { 'x-api-key': adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'ar', channels: ['sms'], smsTo: '+212600112233' }),
    });
    expect(prefs.status).toBe(200);

    // Bad faults first: an unknown transformer is a 404, nothing cut.
    expect(
      (
        await postJson(`${url}/api/simulator/faults`, adminKey, {
          kind: 'outage',
          transformer: 'T-99',
          seconds: 10,
        })
      ).status,
    ).toBe(404);
    const cut = await postJson<{ meters: number }>(`${url}/api/simulator/faults`, adminKey, {
      kind: 'outage',
      transformer,
      seconds: CUT_SECONDS,
    });
    expect(cut.status).toBe(202);
    expect(cut.body.meters).toBe(meters.length);

    const opened = await waitFor(
      `one open outage on ${transformer}`,
      async () => {
        const r = await getJson<{ outages: Outage[] }>(`${url}/api/outages?status=open`, adminKey);
        // Opened as soon as enough of them are silent; the others join as they fall silent too.
        const o = r.body.outages.find((x) => x.transformer === transformer);
        return o && o.meters.length === meters.length ? o : undefined;
      },
      120_000,
      2000,
    );
    step(`outage ${opened.id} open on ${transformer}`);
    expect(opened.meters.sort()).toEqual(meters.map((f) => f.properties.id).sort());
    expect(opened.customers).toContain(customerId);
    const all = (await getJson<{ outages: Outage[] }>(`${url}/api/outages?status=open`, adminKey)).body
      .outages;
    expect(all.filter((o) => o.transformer === transformer)).toHaveLength(1);
    const onMap = (
      await getJson<{ features: Feature[] }>(`${url}/api/map/meters?bbox=-7,33.9,-6.8,34`, adminKey)
    ).body.features;
    expect(
      onMap
        .filter((f) => f.properties.state === 'outage')
        .map((f) => f.properties.id)
        .sort(),
    ).toEqual(opened.meters.sort());

    const outbox = async (template: string) =>
      (
        await getJson<{ messages: { template: string; text: string }[] }>(
          `${url}/api/outbox?to=${encodeURIComponent('+212600112233')}`,
          adminKey,
        )
      ).body.messages.filter((m) => m.template === template);
    const started = await outbox('outage_started');
    expect(started).toHaveLength(1);
    expect(started[0]!.text).toMatch(/انقطاع/);

    const closed = await waitFor(
      `the outage on ${transformer} closed after the power is back`,
      async () => {
        const o = (await getJson<Outage>(`${url}/api/outages/${opened.id}`, adminKey)).body;
        return o.status === 'closed' ? o : undefined;
      },
      CUT_SECONDS * 1000 + 120_000,
      2000,
    );
    step(`outage closed`);
    expect(Date.parse(closed.endedAt!) - Date.parse(closed.startedAt)).toBeGreaterThan(180_000);
    const restored = await outbox('outage_restored');
    expect(restored).toHaveLength(1);

    const after = (
      await getJson<{ saidiMinutes: number; saifi: number; interruptions: number; customersServed: number }>(
        `${url}/api/reliability?from=${monthStart}`,
        adminKey,
      )
    ).body;
    expect(after.interruptions).toBe(before.interruptions + 1);
    expect(after.saidiMinutes).toBeGreaterThan(before.saidiMinutes);
    expect(after.saifi).toBeGreaterThan(0);
    expect(after.customersServed).toBeGreaterThanOrEqual(METERS);

    const exit = await demo.stop('SIGINT', 20_000);
    expect(exit, demo.stderr().slice(-3000)).toBe(0);
  }, 900_000);
});
