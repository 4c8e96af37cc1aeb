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
import { ModbusAsciiSimulator } from './ascii-server.js';

// The Modbus ASCII simulator seen by an independent master: pymodbus's ModbusAsciiFramer client.
const NOW = Date.parse('2026-05-01T08:00:00Z');
const meter = (id: string, faults: FaultSpec[] = []) =>
  new SimulatedMeter({ id, model: 'sdm630', seed: 3, faults, clock: { now: () => NOW } });

type Result = { registers?: number[]; exception?: number; error?: string };

describe('ModbusAsciiSimulator (pymodbus ASCII client over a socat pty)', () => {
  let dir: string;
  let pair: PtyPair;
  let sim: ModbusAsciiSimulator;

  beforeAll(async () => {
    requireCommand('socat');
    requirePythonModule('pymodbus', 'python3-pymodbus');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-ascii-'));
    pair = await openPtyPair(dir);
    sim = new ModbusAsciiSimulator({
      path: pair.a,
      baud: 9600,
      meters: new Map([
        [1, meter('ok')],
        [2, meter('busy', [{ kind: 'busy' }])],
        [3, meter('lrc', [{ kind: 'bad-crc' }])],
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
      [path.join(PEERS_DIR, 'modbus_client.py'), 'ascii', pair.b, '9600', JSON.stringify(reqs)],
      60_000,
    );
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Result[];
  };

  it('serves the full SDM630 plan with the simulated values', async () => {
    const plan = planReads(getModel('sdm630'));
    const res = await read(plan.map((p) => [1, p.function, p.address, p.count]));
    res.forEach((r, i) => expect(r.registers).toHaveLength(plan[i]!.count));
    const got = extractValues(
      plan,
      res.map((r) => r.registers!),
    );
    const want = meter('ok').values();
    expect(got['1-0:1.8.0']).toBeCloseTo(want['1-0:1.8.0']!, 1);
    expect(got['1-0:32.7.0']).toBeCloseTo(want['1-0:32.7.0']!, 1);
  });

  it('answers exception 6 when busy, nothing usable with a corrupted LRC, and nothing for an unknown unit', async () => {
    const res = await read([
      [2, 4, 0, 2],
      [3, 4, 0, 2],
      [9, 4, 0, 2],
      [1, 4, 0, 2],
    ]);
    expect(res[0]).toMatchObject({ exception: 6 });
    expect(res[1]!.registers).toBeUndefined();
    expect(res[2]!.registers).toBeUndefined();
    expect(res[3]!.registers).toHaveLength(2);
    expect(sim.stats.exceptions).toBeGreaterThanOrEqual(1);
  });
});
