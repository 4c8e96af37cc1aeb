import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_PYTHON, freePort, requireCommand, requirePythonModule } from '../../test/support/services.js';
import { getModel } from '../catalogue/index.js';
import { ModbusReader } from '../edge/modbus-reader.js';
import {
  answerFloat32,
  PYMODBUS_SERVER,
  SDM630_RAW,
  startProcess,
  startPtyPair,
  tcpOpen,
  tempDir,
  waitFor,
  type Peer,
} from '../test-peers/peers.js';
import { RtuTransport } from './rtu-transport.js';
import { TcpTransport } from './tcp-transport.js';

const UNIT = 3;
const RAW = SDM630_RAW;
const SLOW_ADDRESS = 0x0c;

describe('Modbus RTU driver against a pymodbus RTU server over a socat pty pair', () => {
  let dir: string;
  let pty: Awaited<ReturnType<typeof startPtyPair>>;
  let server: Peer;
  let transport: RtuTransport;

  beforeAll(async () => {
    requireCommand('socat');
    requirePythonModule('pymodbus', 'python3-pymodbus');
    dir = tempDir('mg-pymodbus-');
    pty = await startPtyPair(dir);
    // A read of input register 0x0C answers 600 ms late (pymodbus blocks, like a busy meter).
    const extra = { slow: { [SLOW_ADDRESS]: 0.6 } };
    server = startProcess(DEBIAN_PYTHON, [
      PYMODBUS_SERVER,
      'rtu',
      pty.b,
      String(UNIT),
      JSON.stringify(RAW),
      JSON.stringify(extra),
    ]);
    await waitFor(() => server.output().includes('serving'), 15_000, `pymodbus server (${server.output()})`);
    transport = new RtuTransport({ path: pty.a, baudRate: 9600, parity: 'none', timeoutMs: 1000 });
    await transport.start();
    // pymodbus opens the port after printing; poll until it answers.
    await waitFor(
      async () => (await transport.read({ unitId: UNIT, function: 4, address: 0, count: 2 })).ok,
      15_000,
      `first answer from pymodbus (${server.output().slice(-500)})`,
    );
  });

  afterAll(async () => {
    await transport?.stop();
    await server?.stop();
    await pty?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads the full SDM630 plan with the values pymodbus encoded', async () => {
    const model = getModel('sdm630');
    const reader = new ModbusReader({ transport, unitId: UNIT, model, retries: 1 });
    const r = await reader.poll();
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const expected: Record<string, number> = {};
    for (const p of model.points) {
      const raw = RAW[p.address];
      if (raw !== undefined) expected[p.key] = Math.fround(raw) * p.scale;
    }
    expect(Object.keys(r.values).sort()).toEqual(Object.keys(expected).sort());
    for (const [obis, v] of Object.entries(expected)) expect(r.values[obis]).toBeCloseTo(v, 9);
    expect(r.values['1-0:32.7.0']).toBeCloseTo(230.1, 4);
    expect(r.values['1-0:1.8.0']).toBeCloseTo(12345.67, 2);
  });

  it('gets no answer for a unit id the server does not have (a timeout, not a value)', async () => {
    expect(
      await transport.read({ unitId: UNIT + 1, function: 4, address: 0, count: 2 }, { timeoutMs: 300 }),
    ).toMatchObject({
      ok: false,
      kind: 'timeout',
    });
  });

  it('reports pymodbus exceptions for addresses beyond its map', async () => {
    const r = await transport.read({ unitId: UNIT, function: 4, address: 0x1f0, count: 100 });
    expect(r).toMatchObject({ ok: false, kind: 'exception', exception: 2 });
  });

  it('discards the late answer of a timed-out request instead of taking it for the next one', async () => {
    // Both reads are fn 4 × 2 registers of unit 3: the late answer has the right unit, function and
    // length for the second request, and RTU read answers carry no address.
    const late = await transport.read(
      { unitId: UNIT, function: 4, address: SLOW_ADDRESS, count: 2 },
      { timeoutMs: 400 },
    );
    expect(late).toMatchObject({ ok: false, kind: 'timeout' });
    const next = await transport.read(
      { unitId: UNIT, function: 4, address: 0x00, count: 2 },
      { timeoutMs: 2000 },
    );
    expect(next.ok).toBe(true);
    if (!next.ok) return;
    const b = Buffer.alloc(4);
    b.writeUInt16BE(next.registers[0]!, 0);
    b.writeUInt16BE(next.registers[1]!, 2);
    expect(b.readFloatBE(0)).toBeCloseTo(RAW[0x00]!, 4); // 230.1 V, not the 1265.5 W of register 0x0C
  });

  it('keeps one request outstanding on the line when many meters poll at once', async () => {
    const reqs = Array.from({ length: 8 }, (_, i) =>
      transport.read({ unitId: UNIT, function: 4, address: 2 * (i % 4), count: 2 }),
    );
    const results = await Promise.all(reqs);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(transport.lineQueue.peakConcurrency).toBe(1);
    const v = results.map((r) => (r.ok ? Array.from(r.registers) : null));
    expect(v[0]).toEqual(v[4]); // same register, same answer: no reply went to the wrong request
    expect(v[0]).not.toEqual(v[1]);
  });
});

describe('Modbus RTU over TCP against pymodbus (a serial device server)', () => {
  it('discards the late answer of a timed-out request instead of taking it for the next one', async () => {
    requirePythonModule('pymodbus', 'python3-pymodbus');
    const port = await freePort();
    const server = startProcess(DEBIAN_PYTHON, [
      PYMODBUS_SERVER,
      'rtu-tcp',
      String(port),
      String(UNIT),
      JSON.stringify(RAW),
      JSON.stringify({ slow: { [SLOW_ADDRESS]: 0.6 } }),
    ]);
    const t = new TcpTransport({ host: '127.0.0.1', port, framing: 'rtu' });
    try {
      await waitFor(() => tcpOpen(port), 15_000, `pymodbus rtu-tcp (${server.output()})`);
      await t.start();
      // No transaction id in an RTU frame: without the silence guard the 1265.5 W of 0x0C, answered
      // late, would be taken for the next read's answer.
      const late = await t.read(
        { unitId: UNIT, function: 4, address: SLOW_ADDRESS, count: 2 },
        { timeoutMs: 400 },
      );
      expect(late).toMatchObject({ ok: false, kind: 'timeout' });
      const next = await t.read({ unitId: UNIT, function: 4, address: 0x00, count: 2 }, { timeoutMs: 2000 });
      expect(answerFloat32(next)).toBeCloseTo(RAW[0x00]!, 4);
      expect(t.stats.discardedFrames).toBe(1);
    } finally {
      await t.stop();
      await server.stop();
    }
  });
});
