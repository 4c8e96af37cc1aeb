import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { captureContext } from '../test-context.js';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../index.js';

// Error paths of `metergate simulate` run in-process; the serving path runs until a signal and is
// exercised as a child process by simulators/cli-*.int.test.ts.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-simulate-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('metergate simulate (bad input)', () => {
  it('says what is missing without flags', async () => {
    const c = captureContext();
    expect(await main(['simulate'], c)).toBe(2);
    expect(c.err()).toMatch(/give --meters N and --modbus-tcp HOST:PORT, or --config fleet\.yaml/);
  });

  it('names the flag that is wrong', async () => {
    const c = captureContext();
    expect(
      await main(['simulate', '--meters', '0', '--model', 'nope', '--modbus-tcp', '127.0.0.1:1502'], c),
    ).toBe(2);
    expect(c.err()).toMatch(/--meters: must be an integer in 1\.\.100000, got 0/);
    expect(c.err()).toMatch(/--model: must be one of .*sdm630.*got "nope"/);
    const d = captureContext();
    expect(await main(['simulate', '--meters', '3', '--modbus-tcp', 'localhost'], d)).toBe(2);
    expect(d.err()).toMatch(/--modbus-tcp: must be HOST:PORT, got "localhost"/);
    const e = captureContext();
    expect(await main(['simulate', '--meters', '300', '--modbus-tcp', '127.0.0.1:1502'], e)).toBe(2);
    expect(e.err()).toMatch(/unit ids 1\.\.300 exceed 255/);
  });

  it('reports unreadable, non-YAML and invalid fleet files with the file name and path', async () => {
    const missing = captureContext();
    expect(await main(['simulate', '--config', path.join(dir, 'missing.yaml')], missing)).toBe(2);
    expect(missing.err()).toMatch(/missing\.yaml: cannot read/);
    const broken = path.join(dir, 'broken.yaml');
    fs.writeFileSync(broken, 'meters: [\n');
    const b = captureContext();
    expect(await main(['simulate', '--config', broken], b)).toBe(2);
    expect(b.err()).toMatch(/broken\.yaml: not valid YAML/);
    const invalid = path.join(dir, 'fleet.yaml');
    fs.writeFileSync(invalid, 'meters:\n  - model: sdm630\n    rtu: {path: /dev/null, baud: 9601}\n');
    const i = captureContext();
    expect(await main(['simulate', '--config', invalid], i)).toBe(2);
    expect(i.err()).toMatch(/fleet\.yaml: meters\[0\]\.rtu\.baud: must be one of 1200, 2400, 4800, 9600/);
  });

  it('fails with exit code 1 when the endpoint cannot be opened', async () => {
    const c = captureContext();
    const cfg = path.join(dir, 'nodev.yaml');
    fs.writeFileSync(cfg, `meters:\n  - model: sdm120\n    rtu: {path: ${path.join(dir, 'no-such-tty')}}\n`);
    expect(await main(['simulate', '--config', cfg], c)).toBe(1);
    expect(c.err()).toMatch(/cannot open the simulator endpoint: .*no-such-tty/);
  });
});
