import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetRunner, parseFleetConfig } from './index.js';
import { DEBIAN_PYTHON, freePort, requirePythonModule } from '../test/support/services.js';
import { getModel, loadModelDir } from '../drivers/index.js';
import { ModbusReader, TcpTransport } from '../drivers/index.js';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';

// The third-party peers of drivers/test-peers (scripts, not imports: simulators/ may use drivers/
// only through its public entry).
const PYMODBUS_SERVER = new URL('../drivers/test-peers/pymodbus_server.py', import.meta.url).pathname;
const PYMODBUS_CLIENT = new URL('../drivers/test-peers/pymodbus_client.py', import.meta.url).pathname;

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  const end = Date.now() + 15_000;
  while (!(await tcpOpen(port))) {
    if (Date.now() > end || proc.exitCode !== null) throw new Error(`pymodbus did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const run = promisify(execFile);

// A model nobody compiled: holding registers with three encodings and a relay coil, as a data file.
const MODEL = `
model: lab-em2
vendor: Lab
description: test meter added as a data file
source: this test (a made-up register table)
defaults: { function: 3, byteOrder: ABCD }
fields:
  - { obis: "1-0:32.7.0", address: 100, type: uint16, scale: 0.1 }
  - { obis: "1-0:1.8.0", address: 102, type: uint32, byteOrder: CDAB, scale: 0.01 }
  - { obis: "1-0:1.7.0", address: 104, type: int32, scale: 0.001 }
  - { name: relay, function: 1, address: 0, type: bit, writable: true }
`;

describe('a new meter model as a data file, with pymodbus on the other side', () => {
  let dir: string;

  beforeAll(() => {
    requirePythonModule('pymodbus', 'python3-pymodbus');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-usermodel-'));
    fs.mkdirSync(path.join(dir, 'models'));
    fs.writeFileSync(path.join(dir, 'models', 'lab-em2.yaml'), MODEL);
    expect(loadModelDir(path.join(dir, 'models'))).toMatchObject({ ok: true });
  });

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("the edge polls pymodbus's server", () => {
    let server: ChildProcess;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      // 230.1 V; 1234.56 kWh = 123456 = 0x0001E240, low word first; −1500 W = 0xFFFFFA24.
      const extra = {
        hr_words: { 100: 2301, 102: 0xe240, 103: 0x0001, 104: 0xffff, 105: 0xfa24 },
        coils: { 0: 1 },
      };
      server = spawn(
        DEBIAN_PYTHON,
        [PYMODBUS_SERVER, 'tcp', String(port), '1', '{}', JSON.stringify(extra)],
        {
          stdio: 'ignore',
        },
      );
      await waitForPort(port, server);
    });
    afterAll(async () => {
      if (server && server.exitCode === null) {
        const gone = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await gone;
      }
    });

    it('reads every field of the model, and writes its relay coil (FC 5)', async () => {
      const t = new TcpTransport({ host: '127.0.0.1', port });
      await t.start();
      const reader = new ModbusReader({ transport: t, unitId: 1, model: getModel('lab-em2'), retries: 0 });
      expect(await reader.poll()).toEqual({
        ok: true,
        values: { '1-0:32.7.0': 230.1, '1-0:1.8.0': 1234.56, '1-0:1.7.0': -1.5, relay: 1 },
      });
      expect(await t.write({ unitId: 1, function: 5, address: 0, value: false })).toMatchObject({ ok: true });
      expect(await reader.poll()).toMatchObject({ ok: true, values: { relay: 0 } });
      await t.stop();
    });
  });

  describe('pymodbus reads our simulator of the model', () => {
    let fleet: FleetRunner;
    let port: number;
    beforeAll(async () => {
      const cfg = parseFleetConfig({
        seed: 5,
        acceleration: 0,
        start: '2026-06-01T12:00:00Z',
        meters: [{ model: 'lab-em2', count: 2, modbusTcp: '127.0.0.1:0' }],
      });
      if (!cfg.ok) throw new Error(cfg.errors.join('\n'));
      fleet = new FleetRunner({ config: cfg.value });
      await fleet.start();
      port = Number(fleet.endpoints()[0]!.endpoint.split(':').at(-1));
    });
    afterAll(async () => {
      await fleet?.stop();
    });

    const client = async (unit: number, ops: unknown[]) => {
      const { stdout } = await run(DEBIAN_PYTHON, [
        PYMODBUS_CLIENT,
        String(port),
        String(unit),
        JSON.stringify(ops),
      ]);
      return JSON.parse(stdout) as Array<{ registers?: number[]; bits?: number[]; error?: string }>;
    };

    it('serves the load-model values in the encodings of the file, and its relay stops consumption', async () => {
      const meter = fleet.meters[1]!;
      const want = meter.values();
      const [regs, coils] = await client(2, [
        { op: 'hr', address: 100, count: 6 },
        { op: 'co', address: 0, count: 1 },
      ]);
      const r = regs!.registers!;
      expect(r[0]! * 0.1).toBeCloseTo(want['1-0:32.7.0']!, 1);
      expect(((r[3]! << 16) | r[2]!) * 0.01).toBeCloseTo(want['1-0:1.8.0']!, 2);
      const watts = ((r[4]! << 16) | r[5]!) >> 0; // int32
      expect(watts * 0.001).toBeCloseTo(want['1-0:1.7.0']!, 3);
      expect(want['1-0:1.7.0']!).toBeGreaterThan(0);
      expect(coils!.bits).toEqual([1]);
      const [written, after, power] = await client(2, [
        { op: 'write_coil', address: 0, value: false },
        { op: 'co', address: 0, count: 1 },
        { op: 'hr', address: 104, count: 2 },
      ]);
      expect(written).toEqual({ ok: true });
      expect(after!.bits).toEqual([0]);
      expect(power!.registers).toEqual([0, 0]);
      expect(meter.relayClosed).toBe(false);
      expect(fleet.meters[0]!.relayClosed).toBe(true); // the other unit is untouched
    });
  });
});
