/**
 * The relay chain, end to end with real components (issue 20 "Done when"): the metergate broker with
 * its device ACLs (an edge reads only its own meters' cmd topics), the gateway composition root
 * (`gatewayFromConfig`, PGlite), a real `Edge` polling a simulated Modbus TCP meter of a model added
 * as a data file (relay coil, FC 1/5), everything driven over HTTP with an operator key:
 *
 * POST /api/meters/:id/relay {state: open} → cmd/relay on MQTT → edge → FC 5 on the simulated meter
 * → the edge's command event → the command `done`, relay `disconnected` in GET …/commands (what the
 * engineer's meter view shows) → the energy register stops while open, resumes after close. The
 * same for a DLMS meter on that edge: the edge opens it with remote_disconnect (class 70). And from
 * the UI: the operator's relay panel (dashboards/web/views/relay.js) in Chromium, with its
 * confirmation step, until the state the meter reported shows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMetergateBroker,
  hashPassword,
  FileCredentialStore,
  type MetergateBroker,
} from '../../broker/index.js';
import { resolveConfig } from '../../cli/config/index.js';
import { createLogger } from '../../cli/logger.js';
import { gatewayFromConfig } from '../../cli/stack/index.js';
import { Edge, TcpTransport, loadModelDir, validateEdgeConfig } from '../../drivers/index.js';
import type { Gateway } from '../../gateway/index.js';
import { createApiKey } from '../../gateway/platform/index.js';
import {
  DEFAULT_DLMS_KEYS,
  DlmsSimulator,
  FleetRunner,
  SimClock,
  parseFleetConfig,
} from '../../simulators/index.js';
import { freePort } from '../support/services.js';
import type { Browser } from 'playwright-core';
import { launchChromium, seriousViolations } from './dashboards-browser.js';
import { getJson, postJson, waitFor } from './support/http.js';
import { removeTempDirs, tempDir } from './support/processes.js';

const MODEL = `
model: relay-lab-em1
vendor: Lab
description: single-phase meter with a supply relay (test model)
source: this test (a made-up register table)
defaults: { function: 4, type: float32, byteOrder: ABCD }
fields:
  - { obis: "1-0:32.7.0", address: 0, unit: V }
  - { obis: "1-0:1.7.0", address: 12, unit: kW }
  - { obis: "1-0:1.8.0", address: 72, unit: kWh }
  - { name: relay, function: 1, address: 0, type: bit, writable: true }
  - { name: demand-limit, function: 3, address: 100, type: uint16, unit: A, writable: true }
`;
const PASSWORD = 'relay chain test password';
const METER = 'RL-1';
/** A DLMS meter on the same edge: relay = the disconnect control (class 70) over HLS-GMAC. */
const DLMS_METER = 'RL-D1';

interface Command {
  id: string;
  status: string;
  relay?: string;
  action?: string;
}
interface Commands {
  relay?: string;
  commands: Command[];
}
interface MeterRow {
  id: string;
  lastReading: { ts: string; values: Record<string, number>; seq: number } | null;
}

describe('relay chain: REST → MQTT → edge → simulated meter → event → stored state, consumption stops', () => {
  let broker: MetergateBroker;
  let gateway: Gateway;
  let fleet: FleetRunner;
  let edge: Edge;
  let modbusPort: number;
  let dlms: DlmsSimulator;
  let url: string;
  let operator: string;

  beforeAll(async () => {
    const dir = tempDir('relay-chain');
    fs.mkdirSync(path.join(dir, 'models'));
    fs.writeFileSync(path.join(dir, 'models', 'relay-lab-em1.yaml'), MODEL);
    expect(loadModelDir(path.join(dir, 'models'))).toMatchObject({ ok: true });

    const hash = await hashPassword(PASSWORD, 10);
    broker = createMetergateBroker({
      port: 0,
      credentials: new FileCredentialStore({
        records: [
          { username: 'edge-r', role: 'edge', meters: [METER, 'RL-2', DLMS_METER], passwordHash: hash },
          { username: 'gw', role: 'gateway', meters: [], passwordHash: hash },
        ],
      }),
    });
    await broker.start();
    const mqttUrl = `mqtt://127.0.0.1:${broker.ports.tcp}`;

    const config = resolveConfig(
      {
        dataDir: path.join(dir, 'gateway'),
        http: { host: '127.0.0.1', port: await freePort() },
        mqtt: { url: mqttUrl, username: 'gw', password: PASSWORD },
      },
      'e2e-relay',
      {},
    );
    gateway = gatewayFromConfig(config, {
      logger: createLogger('warn'),
      // The dashboards are served: the operator's relay panel is driven in Chromium below.
      mqttClientId: `gw:e2e-relay-${randomBytes(3).toString('hex')}`,
    });
    await gateway.start();
    url = gateway.url!;
    operator = (await createApiKey(gateway.db!, { role: 'operator', label: 'relay-ops' })).key;

    // Sim time runs 3600× (a second is an hour), so a closed relay moves the register visibly.
    const fleetCfg = parseFleetConfig({
      seed: 20,
      acceleration: 3600,
      start: '2026-06-01T08:00:00Z',
      meters: [{ model: 'relay-lab-em1', count: 2, modbusTcp: '127.0.0.1:0' }],
    });
    if (!fleetCfg.ok) throw new Error(fleetCfg.errors.join('\n'));
    fleet = new FleetRunner({ config: fleetCfg.value });
    await fleet.start();
    const port = Number(fleet.endpoints()[0]!.endpoint.split(':').at(-1));
    modbusPort = port;

    dlms = new DlmsSimulator({ meters: 1, clock: new SimClock({ acceleration: 3600 }) });
    await dlms.start();
    process.env.MG_E2E_DLMS_EK = DEFAULT_DLMS_KEYS.ek;
    process.env.MG_E2E_DLMS_AK = DEFAULT_DLMS_KEYS.ak;

    const edgeCfg = validateEdgeConfig({
      edgeId: 'edge-r',
      broker: { url: mqttUrl, username: 'edge-r', password: PASSWORD, clientId: 'edge-r:main' },
      outbox: { dir: path.join(dir, 'edge') },
      meters: [
        ...[METER, 'RL-2'].map((id, i) => ({
          id,
          model: 'relay-lab-em1',
          transport: { type: 'tcp', host: '127.0.0.1', port, unitId: i + 1 },
          interval: 0.3,
        })),
        {
          id: DLMS_METER,
          interval: 0.3,
          timeoutMs: 3000,
          transport: {
            type: 'dlms',
            host: '127.0.0.1',
            port: dlms.port,
            server: 1,
            client: 1,
            auth: 'high-gmac',
            ekEnv: 'MG_E2E_DLMS_EK',
            akEnv: 'MG_E2E_DLMS_AK',
          },
        },
      ],
    });
    if (!edgeCfg.ok) throw new Error(edgeCfg.errors.join('\n'));
    edge = new Edge({ config: edgeCfg.value });
    await edge.start();
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await fleet?.stop();
    await dlms?.stop();
    await gateway?.stop();
    await broker?.stop();
    removeTempDirs();
  });

  const meterRow = async (id: string) =>
    (await getJson<MeterRow[]>(`${url}/api/meters`, operator)).body.find((m) => m.id === id);
  /** The next reading of the meter newer than `seq`. */
  const readingAfter = (id: string, seq: number) =>
    waitFor(
      `a reading of ${id} after seq ${seq}`,
      async () => {
        const m = await meterRow(id);
        return m?.lastReading && m.lastReading.seq > seq ? m.lastReading : undefined;
      },
      30_000,
      100,
    );
  const commandDone = (id: string, commandId: string) =>
    waitFor(
      `command ${commandId} answered`,
      async () => {
        const r = await getJson<Commands>(`${url}/api/meters/${id}/commands`, operator);
        const c = r.body.commands.find((x) => x.id === commandId);
        return c && !['pending', 'sent'].includes(c.status) ? { list: r.body, command: c } : undefined;
      },
      30_000,
      100,
    );

  it('opens the relay from REST, the meter stops consuming, and closes it again', async () => {
    const first = await readingAfter(METER, 0);
    const e0 = first.values['1-0:1.8.0']!;
    const later = await readingAfter(METER, first.seq + 2);
    expect(later.values['1-0:1.8.0']!).toBeGreaterThan(e0); // consuming while closed

    const open = await postJson<Command>(`${url}/api/meters/${METER}/relay`, operator, {
      state: 'open',
      reason: 'e2e: unpaid',
      requestId: 'e2e-open-1',
    });
    expect(open.status).toBe(202);
    const opened = await commandDone(METER, open.body.id);
    expect(opened.command).toMatchObject({ status: 'done', action: 'open', relay: 'disconnected' });
    expect(opened.list.relay).toBe('disconnected');
    expect(fleet.meters[0]!.relayClosed).toBe(false);
    expect(fleet.meters[1]!.relayClosed).toBe(true); // the other meter on the same port is untouched

    // While open: two successive readings (hours apart in sim time) carry the same register, no power.
    const a = await readingAfter(METER, (await meterRow(METER))!.lastReading!.seq);
    const b = await readingAfter(METER, a.seq + 2);
    expect(b.values['1-0:1.8.0']).toBe(a.values['1-0:1.8.0']);
    expect(b.values['1-0:1.7.0']).toBe(0);

    const close = await postJson<Command>(`${url}/api/meters/${METER}/relay`, operator, { state: 'close' });
    const closed = await commandDone(METER, close.body.id);
    expect(closed.command).toMatchObject({ status: 'done', relay: 'connected' });
    expect(closed.list.relay).toBe('connected');
    const c = await readingAfter(METER, (await meterRow(METER))!.lastReading!.seq);
    const d = await readingAfter(METER, c.seq + 2);
    expect(d.values['1-0:1.8.0']!).toBeGreaterThan(c.values['1-0:1.8.0']!);

    // The audit trail names the operator's request, the publish and the edge's answer.
    const one = await getJson<{ trail: Array<{ step: string }> }>(
      `${url}/api/meters/${METER}/commands/${open.body.id}`,
      operator,
    );
    expect(one.body.trail.map((t) => t.step)).toEqual(['requested', 'sent', 'done']);
  });

  it('opens and closes a DLMS meter’s supply from REST (disconnect control, class 70)', async () => {
    const first = await readingAfter(DLMS_METER, 0);
    const open = await postJson<Command>(`${url}/api/meters/${DLMS_METER}/relay`, operator, {
      state: 'open',
      reason: 'e2e: dlms',
    });
    expect(open.status).toBe(202);
    const opened = await commandDone(DLMS_METER, open.body.id);
    expect(opened.command).toMatchObject({ status: 'done', relay: 'disconnected' });
    expect(dlms.meters[0]!.energy.connected).toBe(false);
    const a = await readingAfter(
      DLMS_METER,
      Math.max(first.seq, (await meterRow(DLMS_METER))!.lastReading!.seq),
    );
    const b = await readingAfter(DLMS_METER, a.seq + 1);
    expect(b.values['1-0:1.8.0']).toBe(a.values['1-0:1.8.0']);
    expect(b.values['1-0:1.7.0']).toBe(0);

    const close = await postJson<Command>(`${url}/api/meters/${DLMS_METER}/relay`, operator, {
      state: 'close',
    });
    expect((await commandDone(DLMS_METER, close.body.id)).command).toMatchObject({
      status: 'done',
      relay: 'connected',
    });
    expect(dlms.meters[0]!.energy.connected).toBe(true);
  });

  it('the relay panel in Chromium: open with confirmation and a reason, the state follows the meter', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      // bypassCSP: axe-core is injected as an inline script (the gateway's CSP allows 'self' only).
      const page = await browser.newPage({ bypassCSP: true });
      await page.goto(`${url}/ui/`);
      // The panel as the meter view mounts it, rendered with the app's own preact/htm modules.
      // (A string, so the test runner does not rewrite the browser's dynamic imports.)
      await page.evaluate(`(async () => {
        sessionStorage.setItem('metergate.apiKey', ${JSON.stringify(operator)});
        const [{ render }, { html }, { RelayPanel }] = await Promise.all([
          import('/ui/vendor/preact.js'),
          import('/ui/lib/html.js'),
          import('/ui/views/relay.js'),
        ]);
        const host = document.createElement('div');
        document.body.replaceChildren(host);
        render(html\`<\${RelayPanel} meterId="RL-2" />\`, host);
      })()`);
      const state = page.getByTestId('relay-state');
      await state.waitFor();
      await page.getByTestId('relay-open').click();
      // Nothing is sent before the confirmation.
      await page.getByTestId('relay-confirm').waitFor();
      expect(fleet.meters[1]!.relayClosed).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByTestId('relay-reason').fill('e2e: from the panel');
      await page.getByTestId('relay-confirm-yes').click();
      await page
        .locator('[data-testid="relay-state"][data-state="disconnected"]')
        .waitFor({ timeout: 30_000 });
      expect(fleet.meters[1]!.relayClosed).toBe(false);
      await page.locator('[data-testid="relay-commands"] li[data-status="done"]').first().waitFor();
      expect(await page.getByTestId('relay-commands').textContent()).toMatch(/e2e: from the panel/);

      await page.getByTestId('relay-close').click();
      await page.getByTestId('relay-confirm-no').click();
      expect(await page.getByTestId('relay-confirm').count()).toBe(0);
      await page.getByTestId('relay-close').click();
      await page.getByTestId('relay-confirm-yes').click();
      await page
        .locator('[data-testid="relay-state"][data-state="connected"]')
        .waitFor({ timeout: 30_000 })
        .catch(async (err: Error) => {
          throw new Error(`${err.message}\npanel: ${await page.getByTestId('relay').textContent()}`);
        });
      expect(fleet.meters[1]!.relayClosed).toBe(true);
    } finally {
      await browser?.close();
    }
  });

  it('writes a writable field from REST (cmd/set, FC 6) and stores the edge’s refusal of an unknown one', async () => {
    await readingAfter('RL-2', 0);
    const set = await postJson<Command>(`${url}/api/meters/RL-2/settings`, operator, {
      field: 'demand-limit',
      value: 40,
      reason: 'e2e: load limit',
    });
    expect(set.status).toBe(202);
    expect((await commandDone('RL-2', set.body.id)).command).toMatchObject({ status: 'done' });
    const t = new TcpTransport({ host: '127.0.0.1', port: modbusPort });
    await t.start();
    const r = await t.read({ unitId: 2, function: 3, address: 100, count: 1 });
    await t.stop();
    expect(r.ok && [...r.registers]).toEqual([40]);

    const bad = await postJson<Command>(`${url}/api/meters/RL-2/settings`, operator, {
      field: 'nope',
      value: 1,
    });
    expect((await commandDone('RL-2', bad.body.id)).command).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/no field nope/),
    });
  });
});
