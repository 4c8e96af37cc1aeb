import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_PYTHON, freePort, requirePythonModule } from '../../test/support/services.js';
import { defineModel, points } from '../catalogue/index.js';
import { ModbusReader } from '../edge/modbus-reader.js';
import {
  answerFloat32,
  PYMODBUS_CLIENT,
  PYMODBUS_SERVER,
  SDM630_RAW,
  startProcess,
  tcpOpen,
  waitFor,
  type Peer,
} from '../test-peers/peers.js';
import { TcpTransport } from './tcp-transport.js';

/**
 * The command side of Modbus (FC 6, 15, 16, 23) and the TCP transport options (RTU framing over
 * TCP, pauseMs, closeAfterPoll, ignoreTransactionId) against pymodbus: its server decodes our
 * writes, and its own client (not our code) reads back what they stored. The transport options are
 * observed through a small TCP relay in front of pymodbus that counts connections, timestamps
 * requests and, for the transaction-id case, plays a gateway that answers with a wrong id.
 */
const run = promisify(execFile);
const UNIT = 1;

/** pymodbus's client reads the holding registers / coils of the plain TCP server. */
async function pymodbusRead(port: number, ops: unknown[]) {
  const { stdout } = await run(DEBIAN_PYTHON, [
    PYMODBUS_CLIENT,
    String(port),
    String(UNIT),
    JSON.stringify(ops),
  ]);
  return JSON.parse(stdout) as Array<{ registers?: number[]; bits?: number[]; error?: string }>;
}

interface Relay {
  port: number;
  connections: number;
  /** Arrival time (ms, monotonic) of each request and departure of each answer. */
  requests: number[];
  answers: number[];
  close: () => Promise<void>;
}

/** A TCP relay to `target`; `rewrite` may change each answer chunk (MBAP: one answer per chunk here). */
async function relay(target: number, rewrite?: (answer: Buffer) => Buffer): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const r: Relay = { port: 0, connections: 0, requests: [], answers: [], close: async () => {} };
  const server = net.createServer((client) => {
    r.connections++;
    const upstream = net.connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => {
      r.requests.push(performance.now());
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      r.answers.push(performance.now());
      client.write(rewrite ? rewrite(d) : d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.port = (server.address() as net.AddressInfo).port;
  r.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((res) => server.close(() => res()));
  };
  return r;
}

describe('Modbus writes and transport options against pymodbus', () => {
  let tcp: Peer;
  let rtuOverTcp: Peer;
  let port: number;
  let rtuPort: number;

  beforeAll(async () => {
    requirePythonModule('pymodbus', 'python3-pymodbus');
    port = await freePort();
    rtuPort = await freePort();
    const raw = JSON.stringify(SDM630_RAW);
    const extra = JSON.stringify({ hr_words: { 200: 7, 201: 8, 202: 9 } });
    tcp = startProcess(DEBIAN_PYTHON, [PYMODBUS_SERVER, 'tcp', String(port), String(UNIT), raw, extra]);
    rtuOverTcp = startProcess(DEBIAN_PYTHON, [
      PYMODBUS_SERVER,
      'rtu-tcp',
      String(rtuPort),
      '1,2',
      raw,
      extra,
    ]);
    await waitFor(() => tcpOpen(port), 15_000, `pymodbus tcp (${tcp.output()})`);
    await waitFor(() => tcpOpen(rtuPort), 15_000, `pymodbus rtu-over-tcp (${rtuOverTcp.output()})`);
  });

  afterAll(async () => {
    await tcp?.stop();
    await rtuOverTcp?.stop();
  });

  it('FC 6 and FC 16 write holding registers, FC 15 coils; pymodbus’s client reads back what was stored', async () => {
    const t = new TcpTransport({ host: '127.0.0.1', port });
    await t.start();
    expect(await t.write({ unitId: UNIT, function: 6, address: 10, value: 0xbeef })).toMatchObject({
      ok: true,
    });
    expect(
      await t.write({ unitId: UNIT, function: 16, address: 20, values: [1, 2, 0xffff, 0x8000] }),
    ).toMatchObject({ ok: true });
    const coils = [true, false, true, true, false, false, false, false, true, true];
    expect(await t.write({ unitId: UNIT, function: 15, address: 30, values: coils })).toMatchObject({
      ok: true,
    });
    await t.stop();
    const [one, many, bits] = await pymodbusRead(port, [
      { op: 'hr', address: 10, count: 1 },
      { op: 'hr', address: 20, count: 4 },
      { op: 'co', address: 30, count: 10 },
    ]);
    expect(one!.registers).toEqual([0xbeef]);
    expect(many!.registers).toEqual([1, 2, 0xffff, 0x8000]);
    expect(bits!.bits).toEqual(coils.map((b) => (b ? 1 : 0)));
  });

  it('FC 23 writes then reads in one exchange (the read sees the write, §6.17)', async () => {
    const t = new TcpTransport({ host: '127.0.0.1', port });
    await t.start();
    const r = await t.write({
      unitId: UNIT,
      function: 23,
      readAddress: 200,
      readCount: 4,
      address: 203,
      values: [42],
    });
    expect(r).toMatchObject({ ok: true });
    if (r.ok) expect([...r.registers]).toEqual([7, 8, 9, 42]);
    await t.stop();
    expect((await pymodbusRead(port, [{ op: 'hr', address: 203, count: 1 }]))[0]!.registers).toEqual([42]);
  });

  it('an illegal address is answered with exception 2, not taken for success', async () => {
    const t = new TcpTransport({ host: '127.0.0.1', port });
    await t.start();
    expect(await t.write({ unitId: UNIT, function: 16, address: 0x0fff, values: [1, 2, 3] })).toMatchObject({
      ok: false,
      kind: 'exception',
      exception: 2,
    });
    await t.stop();
  });

  it('RTU framing over TCP (a serial device server): reads and writes units 1 and 2 with CRC', async () => {
    const t = new TcpTransport({ host: '127.0.0.1', port: rtuPort, framing: 'rtu' });
    await t.start();
    for (const unitId of [1, 2]) {
      const r = await t.read({ unitId, function: 4, address: 0, count: 2 });
      expect(answerFloat32(r)).toBeCloseTo(SDM630_RAW[0]!, 4);
    }
    expect(await t.write({ unitId: 2, function: 6, address: 50, value: 1234 })).toMatchObject({ ok: true });
    const back = await t.read({ unitId: 2, function: 3, address: 50, count: 1 });
    expect(back.ok && [...back.registers]).toEqual([1234]);
    await t.stop();
  });

  it('pauseMs: the next request leaves no sooner than the pause after the previous answer', async () => {
    const r = await relay(port);
    const t = new TcpTransport({ host: '127.0.0.1', port: r.port, pauseMs: 120 });
    await t.start();
    for (let i = 0; i < 4; i++)
      expect((await t.read({ unitId: UNIT, function: 4, address: 0, count: 2 })).ok).toBe(true);
    await t.stop();
    await r.close();
    expect(r.requests).toHaveLength(4);
    for (let i = 1; i < 4; i++) {
      // Lower bound only (the relay sees the answer leave before the transport receives it).
      expect(r.requests[i]! - r.answers[i - 1]!).toBeGreaterThanOrEqual(115);
    }
  });

  it('closeAfterPoll: one connection per poll; without it, one for all', async () => {
    const model = defineModel({
      model: 'writes-test-sdm',
      vendor: 'test',
      description: 'voltage and energy of the SDM630-style map pymodbus serves',
      phases: 1,
      defaults: { function: 4, wordOrder: 'big', type: 'float32' },
      extend: [points.voltage({ phases: 1, address: 0 }), points.energyImport({ address: 0x48 })],
    });
    for (const [closeAfterPoll, want] of [
      [true, 3],
      [false, 1],
    ] as const) {
      const r = await relay(port);
      const t = new TcpTransport({ host: '127.0.0.1', port: r.port });
      await t.start();
      const reader = new ModbusReader({ transport: t, unitId: UNIT, model, closeAfterPoll, retries: 0 });
      for (let i = 0; i < 3; i++) expect(await reader.poll()).toMatchObject({ ok: true });
      await t.stop();
      await r.close();
      expect(r.connections, `closeAfterPoll ${closeAfterPoll}`).toBe(want);
    }
  });

  it('ignoreTransactionId: a gateway that answers with a wrong transaction id is read only with the option', async () => {
    // MBAP bytes 0-1 are the transaction id (Modbus Messaging on TCP/IP §3.1.3); the relay garbles them.
    const r = await relay(port, (a) => {
      const b = Buffer.from(a);
      b.writeUInt16BE((b.readUInt16BE(0) + 0x1111) & 0xffff, 0);
      return b;
    });
    const strict = new TcpTransport({ host: '127.0.0.1', port: r.port, reconnectAfterTimeouts: 0 });
    await strict.start();
    expect(
      await strict.read({ unitId: UNIT, function: 4, address: 0, count: 2 }, { timeoutMs: 300 }),
    ).toMatchObject({
      ok: false,
      kind: 'timeout',
    });
    await strict.stop();
    const lenient = new TcpTransport({ host: '127.0.0.1', port: r.port, ignoreTransactionId: true });
    await lenient.start();
    for (let i = 0; i < 3; i++) {
      const x = await lenient.read({ unitId: UNIT, function: 4, address: 0, count: 2 });
      expect(answerFloat32(x)).toBeCloseTo(SDM630_RAW[0]!, 4);
    }
    expect(await lenient.write({ unitId: UNIT, function: 6, address: 11, value: 77 })).toMatchObject({
      ok: true,
    });
    await lenient.stop();
    await r.close();
  });
});
