import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFleetConfig } from './fleet-config.js';
import { FleetRunner } from './fleet-runner.js';

function readOnce(port: number, unit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(Buffer.from([0, 1, 0, 0, 0, 6, unit, 4, 0, 0, 0, 2])),
    );
    s.once('data', (d) => {
      s.destroy();
      resolve(d);
    });
    s.once('error', reject);
  });
}

describe('FleetRunner', () => {
  let fleet: FleetRunner | undefined;
  afterEach(async () => {
    await fleet?.stop();
  });

  it('serves a concentrator port and a group with one port per meter, then releases them', async () => {
    const cfg = parseFleetConfig({
      seed: 1,
      meters: [
        { model: 'sdm630', count: 3, modbusTcp: { host: '127.0.0.1', port: 0 } },
        { model: 'em24', count: 2, unitId: 9, modbusTcp: { host: '127.0.0.1', port: 0, portPerMeter: true } },
      ],
    });
    if (!cfg.ok) throw new Error(cfg.errors.join('\n'));
    fleet = new FleetRunner({ config: cfg.value });
    await fleet.start();
    const eps = fleet.endpoints();
    expect(eps.map((e) => [e.transport, e.unitIds])).toEqual([
      ['modbus-tcp', [1, 2, 3]],
      ['modbus-tcp', [9]],
      ['modbus-tcp', [9]],
    ]);
    expect(fleet.meters.map((m) => m.id)).toEqual(['sim1-1', 'sim1-2', 'sim1-3', 'sim2-1', 'sim2-2']);
    const ports = eps.map((e) => Number(e.endpoint.split(':').at(-1)));
    expect(new Set(ports).size).toBe(3);
    expect([...(await readOnce(ports[0]!, 3)).subarray(6, 9)]).toEqual([3, 4, 4]);
    expect([...(await readOnce(ports[2]!, 9)).subarray(6, 9)]).toEqual([9, 4, 4]);
    await fleet.stop();
    await expect(readOnce(ports[0]!, 3)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('fails start() cleanly when a port is taken, closing what it opened', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as net.AddressInfo).port;
    const cfg = parseFleetConfig({
      meters: [
        { model: 'sdm120', modbusTcp: { host: '127.0.0.1', port: 0 } },
        { model: 'sdm120', modbusTcp: { host: '127.0.0.1', port: taken } },
      ],
    });
    if (!cfg.ok) throw new Error(cfg.errors.join('\n'));
    fleet = new FleetRunner({ config: cfg.value });
    await expect(fleet.start()).rejects.toThrow(
      /cannot open the simulator endpoint: 127\.0\.0\.1:\d+: listen EADDRINUSE/,
    );
    expect(fleet.endpoints()).toEqual([]);
    await new Promise<void>((r) => blocker.close(() => r()));
  });
});
