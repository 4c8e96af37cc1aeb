import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Edge, validateEdgeConfig } from '../../drivers/index.js';
import { DlmsSimulator, pushNotification, pushOnce, PUSH_OBJECTS } from './index.js';

/**
 * `type: dlms` meters in edge.yaml end to end in the unit tier: the real Edge (scheduler, outbox,
 * MQTT publisher to an embedded aedes) reading the DLMS simulator over HDLC with LLS, publishing live
 * readings and the load profile's entries as historical readings.
 */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('edge with a DLMS meter', () => {
  it('publishes live readings and historical profile entries', async () => {
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => broker.close(() => r()))));
    const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;

    const sim = new DlmsSimulator({ meters: 2, transport: 'hdlc' });
    await sim.start();
    cleanups.push(() => sim.stop());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-edge-dlms-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    process.env.MG_TEST_DLMS_PASSWORD = 'metergate';

    const doc = {
      edgeId: 'edge-dlms',
      broker: { url },
      outbox: { dir },
      meters: [
        {
          id: 'dlms-meter-2',
          interval: 0.5,
          timeoutMs: 3000,
          transport: {
            type: 'dlms',
            host: '127.0.0.1',
            port: sim.port,
            framing: 'hdlc',
            server: 2,
            auth: 'low',
            passwordEnv: 'MG_TEST_DLMS_PASSWORD',
            profile: { obis: '1.0.99.1.0.255', from: new Date(Date.now() - 2 * 3_600_000).toISOString() },
          },
        },
      ],
    };
    const cfg = validateEdgeConfig(doc);
    expect(cfg.ok).toBe(true);
    if (!cfg.ok) return;

    const sub = mqtt.connect(url);
    cleanups.push(() => sub.endAsync());
    const got: Record<string, unknown>[] = [];
    sub.on('message', (_t, m) => got.push(JSON.parse(m.toString()) as Record<string, unknown>));
    await sub.subscribeAsync('metergate/v1/meters/+/reading', { qos: 1 });

    const edge = new Edge({ config: cfg.value });
    await edge.start();
    cleanups.push(() => edge.stop());
    const end = Date.now() + 15_000;
    while (!(got.some((r) => !r.historical) && got.some((r) => r.historical)) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    const live = got.find((r) => !r.historical)!;
    expect(live).toMatchObject({ meter: 'dlms-meter-2', source: 'dlms', quality: 'good' });
    expect((live.values as Record<string, number>)['1-0:1.8.0']).toBeGreaterThan(0);
    const hist = got.filter((r) => r.historical);
    expect(hist.length).toBeGreaterThanOrEqual(7);
    expect(
      hist.every((h) => String(h.ts).endsWith(':00:00.000Z') || /:(15|30|45):00\.000Z$/.test(String(h.ts))),
    ).toBe(true);
    // Entries are published once: later polls only bring newer ones.
    const times = hist.map((h) => h.ts);
    expect(new Set(times).size).toBe(times.length);
  });

  it('publishes what meters push to its DLMS push listener', async () => {
    const broker = await Aedes.createBroker();
    const server = net.createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => broker.close(() => r()))));
    const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const sim = new DlmsSimulator({ meters: 1 });
    await sim.start();
    cleanups.push(() => sim.stop());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-edge-dlms-push-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const pushPort = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const cfg = validateEdgeConfig({
      edgeId: 'edge-push',
      broker: { url },
      outbox: { dir },
      meters: [
        { id: 'polled', interval: 60, transport: { type: 'dlms', host: '127.0.0.1', port: sim.port } },
      ],
      dlmsPush: {
        host: '127.0.0.1',
        port: pushPort,
        objects: PUSH_OBJECTS,
        meters: [{ id: 'pushing-meter', deviceName: sim.meters[0]!.deviceName }],
      },
    });
    expect(cfg.ok).toBe(true);
    if (!cfg.ok) return;
    const sub = mqtt.connect(url);
    cleanups.push(() => sub.endAsync());
    const got: Record<string, unknown>[] = [];
    sub.on('message', (_t, m) => got.push(JSON.parse(m.toString()) as Record<string, unknown>));
    await sub.subscribeAsync('metergate/v1/meters/pushing-meter/reading', { qos: 1 });
    const edge = new Edge({ config: cfg.value });
    await edge.start();
    cleanups.push(() => edge.stop());
    await pushOnce('127.0.0.1', pushPort, 1, pushNotification(sim.meters[0]!, 1));
    const end = Date.now() + 10_000;
    while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(got[0]).toMatchObject({ meter: 'pushing-meter', source: 'dlms' });
    expect((got[0]!.values as Record<string, number>)['1-0:32.7.0']).toBeGreaterThan(200);
  });

  it('names a bad dlms transport key', () => {
    const r = validateEdgeConfig({
      edgeId: 'e',
      broker: { url: 'mqtt://x' },
      outbox: { dir: '/tmp/x' },
      meters: [{ id: 'm', interval: 1, transport: { type: 'dlms', host: 'h', auth: 'medium' } }],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(/meters\[0\]\.transport\.auth/);
  });
});
