import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireCommand } from '../../test/support/services.js';
import type { MeterModel } from '../catalogue/index.js';
import { ModbusReader } from '../edge/modbus-reader.js';
import { buildLibmodbusUnitTestServer, startProcess, tempDir, type Peer } from '../test-peers/peers.js';
import type { ReadResult } from './pdu.js';
import { TcpTransport } from './tcp-transport.js';

// libmodbus unit-test.h: SERVER_ID 17, input register 0x108 = 0x000A, holding registers 0x160..0x17F
// (zero until a client writes them); 0x170 answers exception 6, 0x171 answers with a wrong
// transaction id / unit 0xFF, 0x172 sleeps 500 ms, 0x173 trickles its reply one byte every 5 ms, and a
// holding read of 2 registers is answered with 1.
const SERVER_ID = 17;

describe('Modbus TCP driver against libmodbus unit-test-server', () => {
  let dir: string;
  let server: Peer;
  let transport: TcpTransport;

  beforeAll(async () => {
    requireCommand('gcc');
    dir = tempDir('mg-libmodbus-');
    const port = await freePort();
    const bin = buildLibmodbusUnitTestServer(dir, port);
    server = startProcess(bin, ['tcp']);
    // The example accepts exactly one connection and exits when it closes: no readiness probe,
    // the transport's own first connection is the one.
    transport = new TcpTransport({ host: '127.0.0.1', port, timeoutMs: 1000, reconnectAfterTimeouts: 1000 });
    await transport.start();
    const end = Date.now() + 10_000;
    for (;;) {
      const r = await transport.read({ unitId: SERVER_ID, function: 4, address: 0x108, count: 1 });
      if (r.ok || r.kind !== 'closed' || Date.now() > end) break;
      await new Promise((res) => setTimeout(res, 100));
    }
  });

  afterAll(async () => {
    await transport?.stop();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const read = (address: number, count: number, fn: 3 | 4 = 3, unitId = SERVER_ID, timeoutMs?: number) =>
    transport.read({ unitId, function: fn, address, count }, { timeoutMs });
  const regs = (r: ReadResult) => (r.ok ? Array.from(r.registers) : r);

  it('reads the known input register 0x108 = 10 and the holding block', async () => {
    expect(regs(await read(0x108, 1, 4))).toEqual([10]);
    expect(regs(await read(0x160, 3))).toEqual([0, 0, 0]);
  });

  it('reports exception 6 (server busy) at 0x170 as a tagged failure', async () => {
    expect(await read(0x170, 1)).toMatchObject({ ok: false, kind: 'exception', exception: 6 });
  });

  it('reports illegal data addresses (exception 2) for reads outside the mapping', async () => {
    expect(await read(0x200, 1)).toMatchObject({ ok: false, kind: 'exception', exception: 2 });
    expect(await read(0x108, 5, 4)).toMatchObject({ ok: false, kind: 'exception', exception: 2 });
  });

  it('never takes a short answer (1 register for 2 asked) as values', async () => {
    expect(await read(0x160, 2)).toMatchObject({ ok: false, kind: 'malformed' });
  });

  it('discards a reply with a wrong transaction id / unit, then keeps working', async () => {
    expect(await read(0x171, 1, 3, SERVER_ID, 300)).toMatchObject({ ok: false, kind: 'timeout' });
    expect(transport.stats.discardedFrames).toBeGreaterThan(0);
    expect(regs(await read(0x108, 1, 4))).toEqual([10]);
  });

  it('times out on the 500 ms reply and does not mistake the late reply for the next answer', async () => {
    expect(await read(0x172, 1, 3, SERVER_ID, 150)).toMatchObject({ ok: false, kind: 'timeout' });
    // The stale reply ([0]) arrives while this request waits; only the matching one ([10]) counts.
    expect(regs(await read(0x108, 1, 4, SERVER_ID, 2000))).toEqual([10]);
  });

  it('reassembles a reply trickled byte by byte (0x173, unit 0xFF)', async () => {
    expect(regs(await read(0x173, 1, 3, 0xff, 2000))).toEqual([0]);
    // Asked as unit 17, the same trickled reply comes from unit 0xFF: refused, not taken as a value.
    expect(await read(0x173, 1, 3, SERVER_ID, 2000)).toMatchObject({ ok: false, kind: 'malformed' });
  });

  it('polls through the catalogue path (ModbusReader) with a one-point map of the example', async () => {
    const model: MeterModel = {
      model: 'libmodbus-unit-test',
      vendor: 'libmodbus',
      description: 'unit-test-server input register',
      phases: 1,
      defaults: { function: 4, wordOrder: 'big' },
      points: [
        {
          key: '1-0:32.7.0',
          obis: '1-0:32.7.0',
          function: 4,
          address: 0x108,
          type: 'uint16',
          registers: 1,
          scale: 1,
          unit: 'V',
        },
      ],
    };
    const reader = new ModbusReader({ transport, unitId: SERVER_ID, model, retries: 0 });
    expect(await reader.poll()).toEqual({ ok: true, values: { '1-0:32.7.0': 10 } });
    expect(server.proc.exitCode).toBeNull(); // the single connection survived every fault above
  });
});
