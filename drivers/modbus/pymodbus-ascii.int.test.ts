import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { decodePayload, type Reading } from '../../protocol/index.js';
import { DEBIAN_PYTHON, freePort, requireCommand, requirePythonModule } from '../../test/support/services.js';
import { getModel } from '../catalogue/index.js';
import { loadEdgeConfig } from '../edge/config.js';
import { Edge } from '../edge/edge.js';
import { ModbusReader } from '../edge/modbus-reader.js';
import {
  answerFloat32,
  mosquittoBinary,
  PYMODBUS_SERVER,
  SDM630_RAW,
  startMosquitto,
  startProcess,
  startPtyPair,
  tcpOpen,
  tempDir,
  waitFor,
  type Peer,
} from '../test-peers/peers.js';
import { RtuTransport } from './rtu-transport.js';
import { TcpTransport } from './tcp-transport.js';

const SERIAL_UNIT = 3;
const TCP_UNIT = 4;
const SLOW_ADDRESS = 0x0c;
const RAW = SDM630_RAW;

/** The SDM630 values pymodbus encoded, keyed by OBIS code, as the edge must decode them. */
function expectedValues(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of getModel('sdm630').points) {
    const raw = RAW[p.address];
    if (raw !== undefined) out[p.key] = Math.fround(raw) * p.scale;
  }
  return out;
}

function expectValues(values: Record<string, number>): void {
  const expected = expectedValues();
  expect(Object.keys(values).sort()).toEqual(Object.keys(expected).sort());
  for (const [obis, v] of Object.entries(expected)) expect(values[obis]).toBeCloseTo(v, 9);
}

/**
 * Modbus ASCII (Modbus over serial line V1.02 §2.5.2) against an independent slave: pymodbus's
 * ModbusAsciiFramer on a socat pty pair (7E1) and over TCP, read by the transports directly and by an
 * edge whose edge.yaml selects `type: ascii` and `framing: ascii`.
 */
describe('Modbus ASCII against pymodbus (serial line and TCP)', () => {
  let dir: string;
  let pty: Awaited<ReturnType<typeof startPtyPair>>;
  let serialServer: Peer;
  let tcpServer: Peer;
  let tcpPort: number;
  let serial: RtuTransport;
  let tcp: TcpTransport;

  beforeAll(async () => {
    requireCommand('socat');
    requirePythonModule('pymodbus', 'python3-pymodbus');
    dir = tempDir('mg-pymodbus-ascii-');
    pty = await startPtyPair(dir);
    // A read of input register 0x0C answers 600 ms late (pymodbus blocks, like a busy meter).
    const extra = { slow: { [SLOW_ADDRESS]: 0.6 } };
    serialServer = startProcess(DEBIAN_PYTHON, [
      PYMODBUS_SERVER,
      'ascii',
      pty.b,
      String(SERIAL_UNIT),
      JSON.stringify(RAW),
      JSON.stringify(extra),
    ]);
    tcpPort = await freePort();
    tcpServer = startProcess(DEBIAN_PYTHON, [
      PYMODBUS_SERVER,
      'ascii-tcp',
      String(tcpPort),
      String(TCP_UNIT),
      JSON.stringify(RAW),
      JSON.stringify(extra),
    ]);
    await waitFor(() => tcpOpen(tcpPort), 15_000, `pymodbus ascii-tcp (${tcpServer.output()})`);
    serial = new RtuTransport({ path: pty.a, baudRate: 9600, parity: 'even', framing: 'ascii' });
    await serial.start();
    await waitFor(
      async () => (await serial.read({ unitId: SERIAL_UNIT, function: 4, address: 0, count: 2 })).ok,
      15_000,
      `first ASCII answer from pymodbus (${serialServer.output().slice(-500)})`,
    );
    tcp = new TcpTransport({ host: '127.0.0.1', port: tcpPort, framing: 'ascii' });
    await tcp.start();
  });

  afterAll(async () => {
    await serial?.stop();
    await tcp?.stop();
    await serialServer?.stop();
    await tcpServer?.stop();
    await pty?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the full SDM630 plan with the values pymodbus encoded, on the serial line and over TCP', async () => {
    for (const [transport, unitId] of [
      [serial, SERIAL_UNIT],
      [tcp, TCP_UNIT],
    ] as const) {
      const r = await new ModbusReader({ transport, unitId, model: getModel('sdm630'), retries: 1 }).poll();
      expect(r.ok).toBe(true);
      if (r.ok) expectValues(r.values);
    }
  });

  it('writes a holding register (FC 16) in ASCII frames and reads it back', async () => {
    for (const [transport, unitId] of [
      [serial, SERIAL_UNIT],
      [tcp, TCP_UNIT],
    ] as const) {
      const w = await transport.write({ unitId, function: 16, address: 0x20, values: [0xbeef, unitId] });
      expect(w).toMatchObject({ ok: true });
      const r = await transport.read({ unitId, function: 3, address: 0x20, count: 2 });
      expect(r.ok && Array.from(r.registers)).toEqual([0xbeef, unitId]);
    }
  });

  it('discards the late answer of a timed-out request instead of taking it for the next one', async () => {
    // Both reads are fn 4 × 2 registers of one unit: an ASCII answer carries no address and (over
    // TCP) no transaction id, so the late answer looks exactly like the next request's.
    for (const [transport, unitId] of [
      [serial, SERIAL_UNIT],
      [tcp, TCP_UNIT],
    ] as const) {
      const discarded = transport.stats.discardedFrames;
      const late = await transport.read(
        { unitId, function: 4, address: SLOW_ADDRESS, count: 2 },
        { timeoutMs: 400 },
      );
      expect(late).toMatchObject({ ok: false, kind: 'timeout' });
      const next = await transport.read(
        { unitId, function: 4, address: 0x00, count: 2 },
        { timeoutMs: 2000 },
      );
      expect(answerFloat32(next)).toBeCloseTo(RAW[0x00]!, 4); // 230.1 V, not the 1265.5 W of 0x0C
      expect(transport.stats.discardedFrames).toBe(discarded + 1); // the late answer, seen and dropped
    }
  });

  describe('an edge whose edge.yaml selects ASCII', () => {
    let broker: Peer;
    let sub: MqttClient;
    const readings = new Map<string, Reading>();

    beforeAll(async () => {
      mosquittoBinary();
      const brokerPort = await freePort();
      broker = startMosquitto(dir, brokerPort);
      await waitFor(() => tcpOpen(brokerPort), 10_000, 'mosquitto');
      sub = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'ascii-sub' });
      sub.on('message', (_topic, payload) => {
        const r = decodePayload('reading', payload);
        if (r.ok) readings.set(r.value.meter, r.value);
      });
      await new Promise<void>((res) => sub.once('connect', () => res()));
      await sub.subscribeAsync('asc/v1/meters/+/reading', { qos: 1 });
      // The serial line is the edge's now: the transport above lets go of the pty.
      await serial.stop();
      const file = path.join(dir, 'edge.yaml');
      fs.writeFileSync(
        file,
        toYaml({
          edgeId: 'edge-ascii',
          meters: [
            {
              id: 'ascii-serial',
              model: 'sdm630',
              transport: { type: 'ascii', path: pty.a, baud: 9600, parity: 'even', unitId: SERIAL_UNIT },
              interval: 0.5,
              timeoutMs: 1000,
            },
            {
              id: 'ascii-tcp',
              model: 'sdm630',
              transport: {
                type: 'tcp',
                host: '127.0.0.1',
                port: tcpPort,
                framing: 'ascii',
                unitId: TCP_UNIT,
              },
              interval: 0.5,
              timeoutMs: 1000,
            },
          ],
          broker: { url: `mqtt://127.0.0.1:${brokerPort}`, prefix: 'asc/v1' },
          outbox: { dir: path.join(dir, 'outbox') },
        }),
      );
      const edge = new Edge({ config: loadEdgeConfig(file) });
      await edge.start();
      try {
        await waitFor(
          () => readings.has('ascii-serial') && readings.has('ascii-tcp'),
          20_000,
          `readings from both ASCII meters (got ${[...readings.keys()].join(', ')})`,
        );
      } finally {
        await edge.stop();
      }
    });

    afterAll(async () => {
      await sub?.endAsync(true);
      await broker?.stop();
    });

    it('publishes the values pymodbus serves, from the serial line and from TCP', () => {
      expect(readings.get('ascii-serial')?.source).toBe('modbus-rtu'); // the link: a serial line
      expect(readings.get('ascii-tcp')?.source).toBe('modbus-tcp');
      for (const id of ['ascii-serial', 'ascii-tcp']) expectValues(readings.get(id)!.values);
    });
  });
});
