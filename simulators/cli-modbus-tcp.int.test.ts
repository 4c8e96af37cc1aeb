import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { DEBIAN_PYTHON, freePort, requireCommand, requirePythonModule } from '../test/support/services.js';
import { SimulatedMeter } from './model/simulated-meter.js';
import { METERGATE_BIN, PEERS_DIR, run, startProcess, type RunningProcess } from './testing/run.js';

// The relied-on CLI form, read by two independent Modbus masters: mbpoll (libmodbus) and pymodbus.
// The clock is frozen (--acceleration 0) so the values are reproducible by an in-test meter.
const START = '2026-01-14T18:30:00Z';
const SEED = '7';

function expected(unit: number): Record<string, number> {
  const meter = new SimulatedMeter({
    id: `sdm630-${unit}`,
    model: 'sdm630',
    seed: SEED,
    profile: 'household',
    clock: { now: () => Date.parse(START) },
  });
  return meter.values();
}

/** mbpoll prints `[ref]: \tvalue` per value. */
function mbpollValues(stdout: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)) out[Number(m[1])] = Number(m[2]);
  return out;
}

const close = (got: number | undefined, want: number) =>
  expect(Math.abs((got ?? NaN) - want)).toBeLessThanOrEqual(Math.abs(want) * 2e-5 + 1e-6);

describe('metergate simulate --meters N --model sdm630 --modbus-tcp HOST:PORT', () => {
  let port: number;
  let sim: RunningProcess;

  beforeAll(async () => {
    requireCommand('mbpoll');
    requirePythonModule('pymodbus', 'python3-pymodbus');
    port = await freePort();
    sim = startProcess(METERGATE_BIN, [
      'simulate',
      '--meters',
      '5',
      '--model',
      'sdm630',
      '--modbus-tcp',
      `127.0.0.1:${port}`,
      '--seed',
      SEED,
      '--acceleration',
      '0',
      '--start',
      START,
    ]);
    await sim.waitFor('serving');
  });

  afterAll(async () => {
    await sim?.stop('SIGKILL');
  });

  it('prints what it serves', () => {
    expect(sim.output()).toContain(`serving 5 × sdm630 on modbus-tcp 127.0.0.1:${port} unit ids 1..5`);
  });

  it('mbpoll reads the SDM630 float32 big-endian map with the right values', async () => {
    const mb = (unit: number, ref: number, count: number) =>
      run('mbpoll', [
        '-m',
        'tcp',
        '-p',
        String(port),
        '-a',
        String(unit),
        '-t',
        '3:float',
        '-B',
        '-r',
        String(ref),
        '-c',
        String(count),
        '-1',
        '127.0.0.1',
      ]);
    for (const unit of [1, 4]) {
      const want = expected(unit);
      // mbpoll numbers registers from 1: register 1 is PDU address 0x00.
      const volts = await mb(unit, 1, 6);
      expect(volts.code, volts.stderr).toBe(0);
      const v = mbpollValues(volts.stdout);
      close(v[1], want['1-0:32.7.0']!);
      close(v[3], want['1-0:52.7.0']!);
      close(v[5], want['1-0:72.7.0']!);
      close(v[7], want['1-0:31.7.0']!);
      const power = mbpollValues((await mb(unit, 0x34 + 1, 1)).stdout);
      close(power[0x35], want['1-0:1.7.0']! * 1000); // the meter speaks W
      const energy = mbpollValues((await mb(unit, 0x48 + 1, 2)).stdout);
      close(energy[0x49], want['1-0:1.8.0']!);
      close(energy[0x4b], want['1-0:2.8.0']!);
      const hz = mbpollValues((await mb(unit, 0x46 + 1, 1)).stdout);
      close(hz[0x47], want['1-0:14.7.0']!);
      expect(hz[0x47]).toBeGreaterThan(49.9);
    }
    // Different meters, different loads.
    expect(expected(1)['1-0:1.8.0']).not.toBe(expected(4)['1-0:1.8.0']);
  });

  it('enforces the protocol against pymodbus: exception 3 over 125 registers, 2 outside the map, 0x0B for unknown units', async () => {
    const r = await run(DEBIAN_PYTHON, [
      path.join(PEERS_DIR, 'modbus_client.py'),
      'tcp',
      '127.0.0.1',
      String(port),
      JSON.stringify([
        [2, 4, 0, 125],
        [2, 4, 0, 126],
        [2, 4, 0x1000, 2],
        [2, 3, 0, 2],
        [2, 4, 0x4a, 4],
        [9, 4, 0, 2],
        [2, 4, 0, 0x4c],
      ]),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Array<{ registers?: number[]; exception?: number; error?: string }>;
    // 125 registers from 0 run past the 0x00..0x4B block: exception 2, not a truncated answer.
    expect(res[0]).toMatchObject({ exception: 2 });
    expect(res[1]).toMatchObject({ exception: 3 });
    expect(res[2]).toMatchObject({ exception: 2 });
    expect(res[3]).toMatchObject({ exception: 2 });
    expect(res[4]).toMatchObject({ exception: 2 });
    expect(res[5]).toMatchObject({ exception: 0x0b });
    expect(res[6]!.registers).toHaveLength(0x4c);
  });

  it('stops cleanly on SIGTERM', async () => {
    const code = await sim.stop('SIGTERM');
    expect(code).toBe(0);
    expect(sim.output()).toMatch(/SIGTERM: stopped 5 meters/);
  });
});
