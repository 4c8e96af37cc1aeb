import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractValues, getModel, planReads } from '../../drivers/index.js';
import { DEBIAN_PYTHON, requireCommand, requirePythonModule } from '../../test/support/services.js';
import type { FaultSpec } from '../model/faults.js';
import { SimulatedMeter } from '../model/simulated-meter.js';
import { openPtyPair, type PtyPair } from '../testing/pty-pair.js';
import { PEERS_DIR, run } from '../testing/run.js';
import { ModbusRtuSimulator } from './rtu-server.js';
import { exchangeTimeMs, t35Ms } from './rtu-timing.js';

// Fault injection and line timing of the RTU simulator, seen by an independent master (pymodbus).
const BAUD = 1200;
const NOW = Date.parse('2026-05-01T08:00:00Z');
const meter = (id: string, faults: FaultSpec[] = []) =>
  new SimulatedMeter({ id, model: 'sdm630', seed: 3, faults, clock: { now: () => NOW } });

type Result = { registers?: number[]; exception?: number; error?: string; ms?: number };

describe('ModbusRtuSimulator faults and timing (pymodbus over a socat pty)', () => {
  let dir: string;
  let pair: PtyPair;
  let sim: ModbusRtuSimulator;

  beforeAll(async () => {
    requireCommand('socat');
    requirePythonModule('pymodbus', 'python3-pymodbus');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-rtu-'));
    pair = await openPtyPair(dir);
    sim = new ModbusRtuSimulator({
      path: pair.a,
      baud: BAUD,
      meters: new Map([
        [1, meter('ok')],
        [2, meter('busy', [{ kind: 'busy' }])],
        [3, meter('crc', [{ kind: 'bad-crc' }])],
        [4, meter('slow', [{ kind: 'slow-bytes', byteDelayMs: 20 }])],
        [5, meter('mute', [{ kind: 'no-reply' }])],
        [6, meter('late', [{ kind: 'late-reply', delayMs: 4000 }])],
      ]),
    });
    await sim.start();
  });

  afterAll(async () => {
    await sim?.stop();
    await pair?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const read = async (reqs: Array<[number, number, number, number]>): Promise<Result[]> => {
    const r = await run(
      DEBIAN_PYTHON,
      [path.join(PEERS_DIR, 'modbus_client.py'), 'rtu', pair.b, String(BAUD), JSON.stringify(reqs)],
      60_000,
    );
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Result[];
  };

  it('serves the full SDM630 plan, never faster than the bus allows at the baud rate', async () => {
    const plan = planReads(getModel('sdm630'));
    const [res] = await read(plan.map((p) => [1, p.function, p.address, p.count]));
    expect(res!.registers).toHaveLength(plan[0]!.count);
    const got = extractValues(plan, [res!.registers!]);
    expect(got['1-0:1.8.0']).toBeCloseTo(meter('ok').values()['1-0:1.8.0']!, 1);
    // A one-sided bound, not a performance assertion: the emulated wire may be slower under load,
    // never faster than request + silence + answer on the wire (76 registers: 8 + 157 bytes; the
    // second 3.5-character gap of the bus limit comes after the answer, outside the measurement).
    const limit = exchangeTimeMs({ baud: BAUD }, 8, 5 + 2 * plan[0]!.count);
    expect(limit).toBeGreaterThan(1300);
    expect(res!.ms).toBeGreaterThanOrEqual(limit - t35Ms({ baud: BAUD }) - 2);
  });

  it('answers exception 6 when busy, nothing usable with a corrupted CRC or when mute, slowly but correctly byte by byte', async () => {
    const res = await read([
      [2, 4, 0, 2],
      [3, 4, 0, 2],
      [5, 4, 0, 2],
      [4, 4, 0, 2],
      [1, 4, 0, 2],
    ]);
    expect(res[0]).toMatchObject({ exception: 6 });
    expect(res[1]!.registers).toBeUndefined();
    expect(res[1]!.exception).toBeUndefined();
    expect(res[2]!.registers).toBeUndefined();
    expect(res[3]!.registers).toHaveLength(2);
    expect(res[4]!.registers).toHaveLength(2);
    expect(sim.stats.dropped).toBeGreaterThanOrEqual(1);
    expect(sim.stats.exceptions).toBeGreaterThanOrEqual(1);
  });

  it('holds a late reply back past the client timeout and stays usable afterwards', async () => {
    const res = await read([[6, 4, 0, 2]]);
    // pymodbus gives up after its 3 s timeout; the answer leaves 4 s after the request.
    expect(res[0]!.registers).toBeUndefined();
    expect(res[0]!.error).toBeDefined();
    // Once the late answer is out the line is free again.
    await new Promise((r) => setTimeout(r, 1500));
    const again = await read([[1, 4, 0x46, 2]]);
    expect(again[0]!.registers).toHaveLength(2);
  });
});
