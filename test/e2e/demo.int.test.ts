/**
 * `npm run demo` as a newcomer runs it: `node bin/metergate demo` from the repository, one process
 * with the embedded broker, the gateway on PGlite, the simulated fleet (Modbus TCP, RTU and
 * IEC 62056-21 over socat ptys, MQTT prepaid meters) and an edge. Everything is read back over HTTP
 * with the admin key the banner prints, as the README tells a user to.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, requireCommand } from '../support/services.js';
import { getJson, waitFor, type MeterRow } from './support/http.js';
import {
  removeTempDirs,
  spawnMetergate,
  stopAll,
  tempDir,
  type MetergateProcess,
} from './support/processes.js';

const METERS = 20;
/**
 * The issue promises the fleet listed within 60 s of `npm run demo`. The project rules forbid timed
 * assertions in tests (a loaded machine is not a regression), so the test bounds the wait for
 * liveness only and prints the measured time: on this shared 2-core machine 20 s when quiet, ~60 s
 * under a load average of ~20 (banner at ~47 s).
 */
const READY_MS = 150_000;

describe('metergate demo (one process, embedded defaults)', () => {
  afterAll(async () => {
    await stopAll();
    removeTempDirs();
  });

  it('lists the whole fleet with advancing readings, serves health and metrics, refuses a taken port, stops on SIGINT', async () => {
    // The demo puts RTU and IEC meters on socat ptys; without socat it would be a smaller fleet.
    requireCommand('socat');
    const mosquittoOn1883 = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: 1883 });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    const port = await freePort();
    const started = Date.now();
    const demo: MetergateProcess = spawnMetergate('demo', [
      'demo',
      '--port',
      String(port),
      '--meters',
      String(METERS),
      '--data-dir',
      tempDir('demo'),
    ]);
    const banner = await demo.waitForOutput(/admin\s+(mgk_\S+)/, READY_MS);
    const adminKey = banner[1]!;
    const url = `http://127.0.0.1:${port}`;
    expect(demo.stdout()).toContain(`${url}/ui/`);
    const mqttPort = Number(/MQTT broker\s+mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(demo.stdout())?.[1]);
    expect(mqttPort).toBeGreaterThan(0);
    // 1883 when free; here Mosquitto (a real service of the integration tier) holds it, so another.
    if (mosquittoOn1883) expect(mqttPort).not.toBe(1883);

    // All 20 meters listed, each with a last reading, within the 60 s from the start.
    const first = await waitFor(
      `${METERS} meters with a last reading on /api/meters`,
      async () => {
        const r = await getJson<MeterRow[]>(`${url}/api/meters`, adminKey);
        if (r.status !== 200) throw new Error(`HTTP ${r.status} ${r.text.slice(0, 200)}`);
        const withReading = r.body.filter((m) => m.lastReading?.ts);
        return withReading.length >= METERS ? r.body : undefined;
      },
      Math.max(1000, READY_MS - (Date.now() - started)),
    );
    console.info(
      `demo: banner printed and ${METERS} meters listed with readings ${((Date.now() - started) / 1000).toFixed(1)} s after spawn`,
    );
    expect(first).toHaveLength(METERS);
    const kinds = new Set(first.map((m) => m.id.replace(/-.*/, '')));
    // Every kind of meter of the fleet reached the gateway: TCP, RTU (pty), IEC (pty), DLMS (wrapper), prepaid (MQTT).
    expect([...kinds].sort()).toEqual(['IEC', 'PP', 'RTU', 'TCP', 'dlms']);

    // Readings advance every few seconds: a second look ~12 s later sees newer readings for most.
    await new Promise((r) => setTimeout(r, 12_000));
    const second = (await getJson<MeterRow[]>(`${url}/api/meters`, adminKey)).body;
    const before = new Map(first.map((m) => [m.id, Date.parse(m.lastReading!.ts)]));
    const advanced = second.filter((m) => Date.parse(m.lastReading!.ts) > before.get(m.id)!);
    expect(
      advanced.length,
      `meters with a newer reading: ${advanced.map((m) => m.id).join(',')}`,
    ).toBeGreaterThanOrEqual(Math.ceil(METERS * 0.75));

    const health = await getJson<{ status: string; checks: Record<string, { ok: boolean }> }>(
      `${url}/api/health`,
    );
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');

    // /metrics is not public in the demo; with the admin key it carries ingest and broker metrics.
    expect((await getJson(`${url}/metrics`)).status).toBe(401);
    const metrics = await getJson(`${url}/metrics`, adminKey);
    expect(metrics.status).toBe(200);
    const value = (name: string) => {
      const m = metrics.text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'));
      return m ? Number(m[1]) : NaN;
    };
    expect(value('metergate_ingest_received_total')).toBeGreaterThan(METERS);
    expect(value('metergate_ingest_stored_total')).toBeGreaterThan(METERS);
    // gateway, edge and the prepaid meters are connected to the embedded broker.
    expect(value('metergate_broker_connected_clients')).toBeGreaterThanOrEqual(3);

    // A second demo on the same HTTP port fails fast, naming the port and the flag to change it.
    const second_ = spawnMetergate('demo-2', [
      'demo',
      '--port',
      String(port),
      '--meters',
      '2',
      '--data-dir',
      tempDir('demo2'),
    ]);
    const code = await second_.exited(45_000);
    expect(code).toBe(1);
    expect(second_.stderr()).toContain(`port ${port} is already in use`);
    expect(second_.stderr()).toContain('--port');
    // … and the first one is untouched by the attempt.
    expect((await getJson(`${url}/api/health`)).status).toBe(200);

    // Ctrl-C: flushes and stops cleanly.
    const exit = await demo.stop('SIGINT', 20_000);
    expect(exit).toBe(0);
    expect(demo.stderr()).toMatch(/metergate demo: stopped/);
  });
});
