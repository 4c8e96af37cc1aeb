import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Edge, validateEdgeConfig } from '../../drivers/index.js';
import { SimClock } from '../model/clock.js';
import { DEFAULT_DLMS_KEYS, DlmsSimulator } from './index.js';

/**
 * `cmd/relay` on a `type: dlms` meter (issue 20 §3, issue 19 §3): the real Edge executes it as the
 * disconnect control's remote_disconnect / remote_reconnect ACTION (class 70, 0-0:96.3.10.255) on the
 * DLMS simulator over the wrapper, with HLS-GMAC (client 1, the only one the simulated meter lets
 * switch the supply), reads output_state back, and answers on the event topic. The public client
 * is refused by the meter, and the edge reports that as `failed`.
 */
type Json = Record<string, unknown>;
let broker: Aedes;
let server: net.Server;
let sim: DlmsSimulator;
let edge: Edge;
let sub: mqtt.MqttClient;
let dir: string;
const events: Json[] = [];
const readings: Json[] = [];

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + 20_000;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  broker = await Aedes.createBroker();
  server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  // 3600×: a second is an hour of consumption, so a connected meter's register moves between polls.
  sim = new DlmsSimulator({ meters: 2, clock: new SimClock({ acceleration: 3600 }) });
  await sim.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-edge-dlms-relay-'));
  process.env.MG_TEST_DLMS_EK = DEFAULT_DLMS_KEYS.ek;
  process.env.MG_TEST_DLMS_AK = DEFAULT_DLMS_KEYS.ak;
  const dlms = (server_: number, auth: object) => ({
    type: 'dlms',
    host: '127.0.0.1',
    port: sim.port,
    server: server_,
    ...auth,
  });
  const cfg = validateEdgeConfig({
    edgeId: 'edge-dlms-relay',
    broker: { url },
    outbox: { dir },
    meters: [
      {
        id: 'dlms-hls',
        interval: 0.3,
        timeoutMs: 3000,
        transport: dlms(1, {
          client: 1,
          auth: 'high-gmac',
          ekEnv: 'MG_TEST_DLMS_EK',
          akEnv: 'MG_TEST_DLMS_AK',
        }),
      },
      { id: 'dlms-public', interval: 60, timeoutMs: 3000, transport: dlms(2, {}) },
    ],
  });
  if (!cfg.ok) throw new Error(cfg.errors.join('\n'));
  sub = await mqtt.connectAsync(url, { clientId: 'relay-watch' });
  sub.on('message', (topic, m) => {
    const body = JSON.parse(m.toString()) as Json;
    (topic.endsWith('/event') ? events : readings).push(body);
  });
  await sub.subscribeAsync(['metergate/v1/meters/+/event', 'metergate/v1/meters/dlms-hls/reading'], {
    qos: 1,
  });
  edge = new Edge({ config: cfg.value });
  await edge.start();
}, 60_000);

afterAll(async () => {
  await edge?.stop();
  await sub?.endAsync();
  await sim?.stop();
  await new Promise<void>((r) => server.close(() => broker.close(() => r())));
  fs.rmSync(dir, { recursive: true, force: true });
});

const command = (meter: string, body: Json) =>
  sub.publishAsync(`metergate/v1/meters/${meter}/cmd/relay`, JSON.stringify({ v: 1, ...body }), { qos: 1 });
const answer = (id: string) => until(`the answer to ${id}`, () => events.find((e) => e.cmd === id));
/** Two live readings taken after `since` (ms): the register and power they carry. */
async function twoReadingsAfter(since: number): Promise<[Record<string, number>, Record<string, number>]> {
  const after = () => readings.filter((r) => Date.parse(String(r.ts)) > since && !r.historical);
  await until('two readings', () => (after().length >= 2 ? true : undefined));
  const [a, b] = after();
  return [a!.values as Record<string, number>, b!.values as Record<string, number>];
}

describe('cmd/relay on a DLMS meter: disconnect control ACTION', () => {
  it('remote_disconnect opens the supply (register frozen, no power); remote_reconnect closes it', async () => {
    const meter = sim.meters[0]!;
    expect(meter.energy.connected).toBe(true);
    // The first reading over HLS-GMAC: the edge is connected and subscribed to its meters' commands.
    await until('a first reading', () => (readings.length ? true : undefined));
    await command('dlms-hls', { id: 'd-open-1', action: 'open', reason: 'unpaid' });
    expect(await answer('d-open-1')).toMatchObject({
      kind: 'command',
      command: 'relay',
      outcome: 'done',
      relay: 'disconnected',
      field: 'relay',
    });
    expect(meter.energy.connected).toBe(false);
    const [a, b] = await twoReadingsAfter(Date.now());
    expect(b['1-0:1.8.0']).toBe(a['1-0:1.8.0']);
    expect(b['1-0:1.7.0']).toBe(0);

    await command('dlms-hls', { id: 'd-close-1', action: 'close' });
    expect(await answer('d-close-1')).toMatchObject({ outcome: 'done', relay: 'connected' });
    expect(meter.energy.connected).toBe(true);
    const [c, d] = await twoReadingsAfter(Date.now());
    expect(d['1-0:1.8.0']!).toBeGreaterThan(c['1-0:1.8.0']!);

    // The same command id again is not executed twice.
    await command('dlms-hls', { id: 'd-close-1', action: 'close' });
    await until('the duplicate answer', () =>
      events.find((e) => e.cmd === 'd-close-1' && e.outcome === 'duplicate'),
    );
  });

  it('a meter that refuses the ACTION (public client) is answered failed, its supply untouched', async () => {
    await command('dlms-public', { id: 'd-open-2', action: 'open' });
    const e = await answer('d-open-2');
    expect(e).toMatchObject({ outcome: 'failed', field: 'relay' });
    expect(String(e.detail)).toMatch(/MG_ERR_DLMS/);
    expect(sim.meters[1]!.energy.connected).toBe(true);
  });

  it('other fields are not writable on a DLMS meter', async () => {
    await sub.publishAsync(
      'metergate/v1/meters/dlms-hls/cmd/set',
      JSON.stringify({ v: 1, id: 'd-set-1', field: 'demand-limit', value: 3 }),
      { qos: 1 },
    );
    expect(await answer('d-set-1')).toMatchObject({
      outcome: 'failed',
      detail: expect.stringMatching(/only relay/),
    });
  });
});
