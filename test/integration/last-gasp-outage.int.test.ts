import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Edge, validateEdgeConfig } from '../../drivers/index.js';
import { FieldFeature } from '../../gateway/field/index.js';
import { Gateway } from '../../gateway/index.js';
import { startTestBroker } from '../../gateway/platform/bus/test-broker.js';
import { TopicScheme } from '../../protocol/index.js';
import { DlmsSimulator, pushNotification, pushOnce, PUSH_OBJECTS } from '../../simulators/dlms/index.js';
import { SimClock } from '../../simulators/model/clock.js';

/**
 * Issue 26, "the network in the field", end to end over a real MQTT broker: DLMS meters (the
 * simulator) push to an edge's push listener; the edge publishes their readings, their edge.yaml
 * locations (with the retained meter state) and their power events; the gateway stores the
 * locations as connection points and, when three of a transformer's four meters push their last
 * gasp, opens one outage at once (no silence to wait for); their power-up pushes close it. Waits are
 * bounded polls for delivery, never timed assertions.
 */
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A DLMS date-time carries hundredths of a second. */
const dlmsTime = (ms: number) => new Date(Math.floor(ms / 10) * 10).toISOString();

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('last gasp → outage, DLMS simulator to gateway', () => {
  it('opens one outage from the pushed last gasps and closes it on the power-up pushes', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.stop());
    const topics = new TopicScheme();

    // The gateway's core (ingest into PGlite) with the field domain on its bus. Silence would take a
    // day: only the power events can open the outage here, and a check runs per event, not per tick.
    let field: FieldFeature | undefined;
    const logged: string[] = [];
    const gw = new Gateway({
      mqtt: { url: broker.url, clientId: 'last-gasp-gw' },
      http: false,
      plugins: async (core) => {
        field = await new FieldFeature({
          db: core.db,
          rule: { silentSeconds: 86_400, checkEverySeconds: 3600 },
          bus: { bus: core.bus, topics },
          log: (level, message) => logged.push(`${level} ${message}`),
        }).start();
        return [];
      },
    });
    await gw.start();
    cleanups.push(() => gw.stop());
    cleanups.push(() => field?.stop());
    const db = gw.db!;

    // Five DLMS meters on a clock that moves only when told (readings stay in the past).
    const clock = new SimClock({ start: Date.now() - 10 * 60_000, acceleration: 0 });
    const pushPort = await freePort();
    const sim = new DlmsSimulator({ meters: 5, clock, push: { host: '127.0.0.1', port: pushPort } });
    await sim.start();
    cleanups.push(() => sim.stop());

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-last-gasp-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const ids = ['gasp-1', 'gasp-2', 'gasp-3', 'gasp-4', 'gasp-5'];
    const cfg = validateEdgeConfig({
      edgeId: 'edge-gasp',
      broker: { url: broker.url },
      outbox: { dir },
      meters: [
        {
          id: 'polled',
          interval: 3600,
          transport: { type: 'dlms', host: '127.0.0.1', port: sim.port },
          // Out of WGS 84: an error line naming the meter and field; the edge runs on.
          location: { lat: 123.4, lon: -6.83 },
        },
      ],
      dlmsPush: {
        host: '127.0.0.1',
        port: pushPort,
        objects: PUSH_OBJECTS,
        meters: ids.map((id, i) => ({
          id,
          deviceName: sim.meters[i]!.deviceName,
          location: {
            lat: 33.589 + i / 1e4,
            lon: -7.603,
            address: `${10 + i} Rue Tiznit`,
            commune: 'Casablanca-Anfa',
            province: 'Casablanca',
            region: 'Casablanca-Settat',
            feeder: 'F-CA1',
            transformer: i < 4 ? 'T-CA1' : 'T-CA2',
          },
        })),
      },
    });
    expect(cfg.ok).toBe(true);
    if (!cfg.ok) return;
    const edgeLog: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          edgeLog.push(chunk.toString());
          done();
        },
      }),
    );
    const edge = new Edge({ config: cfg.value, logger });
    await edge.start();
    cleanups.push(() => edge.stop());
    expect(edgeLog.join('')).toMatch(/meter polled: location\.lat: .*90/);

    // Each meter pushes its data once: a reading, and its state carrying its location.
    for (const [i, meter] of sim.meters.entries())
      await pushOnce('127.0.0.1', pushPort, i + 1, pushNotification(meter, i + 1));
    await expect
      .poll(async () => (await db.query('SELECT meter_id FROM meter_last_reading')).rows.length)
      .toBe(5);
    await expect.poll(async () => (await field!.locations.get('gasp-5'))?.transformer).toBe('T-CA2');
    expect(await field!.locations.get('gasp-1')).toMatchObject({
      meter: 'gasp-1',
      lat: 33.589,
      lon: -7.603,
      address: '10 Rue Tiznit',
      commune: 'Casablanca-Anfa',
      province: 'Casablanca',
      region: 'Casablanca-Settat',
      feeder: 'F-CA1',
      transformer: 'T-CA1',
    });
    expect(await field!.locations.get('polled')).toBeUndefined();

    // Three of T-CA1's four meters and T-CA2's only one lose their supply and push their last gasp.
    clock.fastForward(60_000);
    const cut = dlmsTime(clock.now());
    for (const id of ['dlms-001', 'dlms-002', 'dlms-003', 'dlms-005']) await sim.setPower(id, false);
    await expect
      .poll(async () => field!.outages.list({ status: 'open' }))
      .toMatchObject([
        {
          transformer: 'T-CA1',
          feeder: 'F-CA1',
          startedAt: cut,
          meters: ['gasp-1', 'gasp-2', 'gasp-3'],
        },
      ]);
    // gasp-5 alone behind T-CA2 stays one meter's fault.
    expect((await field!.outages.list()).map((o) => o.transformer)).toEqual(['T-CA1']);
    // Unpowered, the meters answer nobody.
    expect(sim.meters[0]!.powered).toBe(false);

    // The supply comes back five minutes later: the power-up pushes close the incident.
    clock.fastForward(5 * 60_000);
    const back = dlmsTime(clock.now());
    for (const id of ['dlms-001', 'dlms-002', 'dlms-003', 'dlms-005']) await sim.setPower(id, true);
    await expect.poll(async () => (await field!.outages.list({ status: 'open' })).length).toBe(0);
    expect(await field!.outages.list({ status: 'closed' })).toMatchObject([
      { transformer: 'T-CA1', startedAt: cut, endedAt: back },
    ]);
    const causes = await db.query<{ cause: string }>('SELECT cause FROM field_outages');
    expect(causes.rows).toEqual([{ cause: 'last-gasp' }]);
    expect(logged.filter((l) => l.startsWith('error'))).toEqual([]);
  });
});
