import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePoint, getModel } from '../drivers/index.js';
import { DEBIAN_PYTHON, requireCommand, requirePythonModule } from '../test/support/services.js';
import { SimulatedMeter } from './model/simulated-meter.js';
import { openPtyPair, type PtyPair } from './testing/pty-pair.js';
import { METERGATE_BIN, PEERS_DIR, run, startProcess, type RunningProcess } from './testing/run.js';

// The fleet-file form of the CLI serving Modbus RTU and IEC 62056-21 on socat pty pairs, read by
// independent peers: pymodbus (RTU client, and its CRC for raw frames) and a pyserial mode C client.
const START = '2026-03-02T09:15:00Z';
const SEED = 'serial';

const meterAt = (id: string, model: string) =>
  new SimulatedMeter({
    id,
    model,
    seed: SEED,
    profile: 'household',
    clock: { now: () => Date.parse(START) },
  });

describe('metergate simulate --config (RTU and IEC 62056-21 over socat ptys)', () => {
  let dir: string;
  let rtuPair: PtyPair;
  let iecPair: PtyPair;
  let sim: RunningProcess;

  beforeAll(async () => {
    requireCommand('socat');
    requirePythonModule('pymodbus', 'python3-pymodbus');
    requirePythonModule('serial', 'python3-serial');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-sim-serial-'));
    rtuPair = await openPtyPair(dir, ['rtu-sim', 'rtu-client']);
    iecPair = await openPtyPair(dir, ['iec-sim', 'iec-client']);
    const config = path.join(dir, 'fleet.yaml');
    fs.writeFileSync(
      config,
      [
        `seed: ${SEED}`,
        'acceleration: 0',
        `start: ${START}`,
        'meters:',
        '  - model: sdm120',
        '    idPrefix: rtu-',
        '    count: 2',
        `    rtu: {path: ${rtuPair.a}, baud: 9600}`,
        '  - model: abb-b23',
        '    idPrefix: abb-',
        '    unitId: 7',
        `    rtu: {path: ${rtuPair.a}, baud: 9600}`,
        '  - model: sdm630',
        '    idPrefix: iec-',
        `    iec: {path: ${iecPair.a}}`,
      ].join('\n'),
    );
    sim = startProcess(METERGATE_BIN, ['simulate', '--config', config]);
    await sim.waitFor('stop with Ctrl-C');
  });

  afterAll(async () => {
    await sim?.stop('SIGKILL');
    await rtuPair?.stop();
    await iecPair?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('announces each line', () => {
    expect(sim.output()).toContain(
      `serving 2 × sdm120, 1 × abb-b23 on modbus-rtu ${rtuPair.a}@9600 unit ids 1..2,7`,
    );
  });

  it('pymodbus reads the RTU meters with the right values and gets exceptions 2 and 3', async () => {
    const r = await run(DEBIAN_PYTHON, [
      path.join(PEERS_DIR, 'modbus_client.py'),
      'rtu',
      rtuPair.b,
      '9600',
      JSON.stringify([
        [2, 4, 0x00, 2],
        [2, 4, 0x48, 4],
        [7, 3, 0x5000, 8],
        [7, 3, 0x5b00, 2],
        [2, 4, 0, 126],
        [2, 4, 0x2000, 2],
        [1, 4, 0x46, 2],
      ]),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Array<{ registers?: number[]; exception?: number; error?: string }>;
    const sdm120 = getModel('sdm120');
    const pt = (model: string, obis: string) => getModel(model).points.find((p) => p.obis === obis)!;
    const m2 = meterAt('rtu-2', 'sdm120').values();
    expect(decodePoint(pt('sdm120', '1-0:32.7.0'), res[0]!.registers!)).toBeCloseTo(m2['1-0:32.7.0']!, 3);
    expect(decodePoint(pt('sdm120', '1-0:1.8.0'), res[1]!.registers!.slice(0, 2))).toBeCloseTo(
      m2['1-0:1.8.0']!,
      2,
    );
    const abb = meterAt('abb-1', 'abb-b23').values();
    expect(decodePoint(pt('abb-b23', '1-0:1.8.0'), res[2]!.registers!.slice(0, 4))).toBeCloseTo(
      abb['1-0:1.8.0']!,
      2,
    );
    // Export has no meaning for this meter: still a value (0), not the "not available" sentinel.
    expect(decodePoint(pt('abb-b23', '1-0:2.8.0'), res[2]!.registers!.slice(4, 8))).toBe(0);
    expect(decodePoint(pt('abb-b23', '1-0:32.7.0'), res[3]!.registers!)).toBeCloseTo(abb['1-0:32.7.0']!, 1);
    expect(res[4]).toMatchObject({ exception: 3 });
    expect(res[5]).toMatchObject({ exception: 2 });
    const m1 = meterAt('rtu-1', 'sdm120').values();
    expect(decodePoint(pt('sdm120', '1-0:14.7.0'), res[6]!.registers!)).toBeCloseTo(m1['1-0:14.7.0']!, 4);
    expect(sdm120.phases).toBe(1);
  });

  it('discards frames with a wrong CRC and keeps one request outstanding', async () => {
    const r = await run(DEBIAN_PYTHON, [path.join(PEERS_DIR, 'rtu_raw.py'), rtuPair.b]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as {
      badCrc: string;
      goodCrc: string;
      goodCrcValid: boolean;
      overlap: string;
    };
    expect(res.badCrc).toBe('');
    // unit 1, function 4, 4 bytes, CRC checked by pymodbus.
    expect(res.goodCrc).toMatch(/^010404[0-9a-f]{12}$/);
    expect(res.goodCrcValid).toBe(true);
    // The second request arrived while the first was being answered: exactly one answer.
    expect(res.overlap).toMatch(/^010478[0-9a-f]{244}$/);
  });

  it('gives an IEC 62056-21 mode C readout with a valid BCC', async () => {
    const r = await run(DEBIAN_PYTHON, [path.join(PEERS_DIR, 'iec_client.py'), iecPair.b]);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as {
      ident: string;
      baud: number;
      lines: string[];
      bcc: number;
      bccComputed: number;
    };
    expect(res.ident).toBe('/MGS5SIM-SDM630');
    expect(res.baud).toBe(9600);
    expect(res.bcc).toBe(res.bccComputed);
    expect(res.lines.slice(-2)).toEqual(['!', '']); // the block ends with `!` CR LF before ETX
    const m = meterAt('iec-1', 'sdm630');
    const want = m.values();
    expect(res.lines[0]).toBe(`0.0.0(${m.serial})`);
    expect(res.lines).toContain(`1.8.0(${want['1-0:1.8.0']!.toFixed(3).padStart(10, '0')}*kWh)`);
    expect(res.lines).toContain(`32.7.0(${want['1-0:32.7.0']!.toFixed(1).padStart(5, '0')}*V)`);
    expect(res.lines.find((l) => l.startsWith('14.7.0('))).toMatch(/^14\.7\.0\((49|50)\.\d\d\*Hz\)$/);
  });

  it('ignores a readout request addressed to another meter, answers its own address', async () => {
    const other = await run(DEBIAN_PYTHON, [path.join(PEERS_DIR, 'iec_client.py'), iecPair.b, '99999999']);
    expect(JSON.parse(other.stdout)).toMatchObject({ error: 'no identification' });
    const own = await run(DEBIAN_PYTHON, [
      path.join(PEERS_DIR, 'iec_client.py'),
      iecPair.b,
      meterAt('iec-1', 'sdm630').serial,
    ]);
    expect(own.code, own.stderr).toBe(0);
    expect(JSON.parse(own.stdout)).toMatchObject({ ident: '/MGS5SIM-SDM630' });
  });
});
