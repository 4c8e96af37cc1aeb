import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_PYTHON, freePort, requirePythonModule } from '../../test/support/services.js';
import {
  answerFloat32,
  PYMODBUS_SERVER,
  SDM630_RAW,
  startProcess,
  tcpOpen,
  waitFor,
  type Peer,
} from '../test-peers/peers.js';
import { defineModel, points } from '../catalogue/index.js';
import { ModbusReader } from '../edge/modbus-reader.js';
import { TcpTransport } from './tcp-transport.js';

// pymodbus as a Modbus TCP gateway with unit 1 behind it: any other unit id is ignored (no answer
// at all), like a gateway whose serial meter is dead. A second server answers units 0 and 255 only
// (pymodbus accepts every unit id once 0 or 255 is configured, so they cannot share a server).
const DEAD = 9;

const float = answerFloat32;

describe('Modbus TCP driver against a pymodbus TCP server with several units', () => {
  let server: Peer;
  let gatewayIds: Peer;
  let port: number;
  let gatewayIdsPort: number;

  beforeAll(async () => {
    requirePythonModule('pymodbus', 'python3-pymodbus');
    port = await freePort();
    gatewayIdsPort = await freePort();
    const raw = JSON.stringify(SDM630_RAW);
    server = startProcess(DEBIAN_PYTHON, [PYMODBUS_SERVER, 'tcp', String(port), '1', raw]);
    gatewayIds = startProcess(DEBIAN_PYTHON, [PYMODBUS_SERVER, 'tcp', String(gatewayIdsPort), '0,255', raw]);
    await waitFor(() => tcpOpen(port), 15_000, `pymodbus tcp server (${server.output()})`);
    await waitFor(() => tcpOpen(gatewayIdsPort), 15_000, `pymodbus tcp server (${gatewayIds.output()})`);
  });

  afterAll(async () => {
    await server?.stop();
    await gatewayIds?.stop();
  });

  it('reads unit ids 0 and 255, which Modbus TCP gateways use (MBAP unit identifier 0..255)', async () => {
    const t = new TcpTransport({ host: '127.0.0.1', port: gatewayIdsPort });
    await t.start();
    for (const unitId of [0, 255]) {
      const r = await t.read({ unitId, function: 4, address: 0, count: 2 });
      expect(float(r), `unit ${unitId}`).toBeCloseTo(SDM630_RAW[0]!, 4);
    }
    await t.stop();
  });

  it('keeps the shared connection for the other units when one unit behind the gateway stops answering', async () => {
    const t = new TcpTransport({ host: '127.0.0.1', port, reconnectAfterTimeouts: 3 });
    await t.start();
    expect(float(await t.read({ unitId: 1, function: 4, address: 0, count: 2 }))).toBeCloseTo(230.1, 4);
    // A dead meter polled with retries: four timeouts in a row, no answer in between.
    for (let i = 0; i < 4; i++) {
      const r = await t.read({ unitId: DEAD, function: 4, address: 0, count: 2 }, { timeoutMs: 150 });
      expect(r).toMatchObject({ ok: false, kind: 'timeout' });
    }
    expect(t.stats.reconnects).toBe(0);
    expect(float(await t.read({ unitId: 1, function: 4, address: 0, count: 2 }))).toBeCloseTo(230.1, 4);
    expect(t.stats.reconnects).toBe(0);
    await t.stop();
  });

  it('still reopens a connection on which no unit answers, after each unit’s own count', async () => {
    const t = new TcpTransport({ host: '127.0.0.1', port, reconnectAfterTimeouts: 3 });
    await t.start();
    for (let i = 0; i < 2; i++)
      await t.read(
        { unitId: DEAD, function: 4, address: 0, count: 2 },
        { timeoutMs: 100, reconnectAfterTimeouts: 2 },
      );
    expect(t.stats.reconnects).toBe(1); // the per-unit setting (2) wins over the transport default (3)
    for (let i = 0; i < 3; i++)
      await t.read(
        { unitId: DEAD, function: 4, address: 0, count: 2 },
        { timeoutMs: 100, reconnectAfterTimeouts: 0 },
      );
    expect(t.stats.reconnects).toBe(1); // 0: this unit never reopens the connection
    expect(float(await t.read({ unitId: 1, function: 4, address: 0, count: 2 }))).toBeCloseTo(230.1, 4);
    await t.stop();
  });

  it('publishes the register blocks that were read when another block fails, naming the missing fields', async () => {
    // Voltage at 0x00 is served; energy at 0x300 lies beyond pymodbus' input registers (exception 2).
    const model = defineModel({
      model: 'two-blocks',
      vendor: 'test',
      description: 'one block pymodbus serves, one it refuses',
      phases: 1,
      defaults: { function: 4, wordOrder: 'big', type: 'float32' },
      extend: [points.voltage({ phases: 1, address: 0 }), points.energyImport({ address: 0x300 })],
    });
    const t = new TcpTransport({ host: '127.0.0.1', port });
    await t.start();
    const r = await new ModbusReader({ transport: t, unitId: 1, model, retries: 0 }).poll();
    await t.stop();
    expect(r).toMatchObject({
      ok: true,
      missing: ['1-0:1.8.0'],
      partial: expect.stringMatching(/exception 2/),
    });
    if (r.ok) expect(r.values['1-0:32.7.0']).toBeCloseTo(230.1, 4);
  });
});
