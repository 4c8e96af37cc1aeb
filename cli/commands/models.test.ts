import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../index.js';
import { captureContext } from '../test-context.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-models-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const EXAMPLE = new URL('../../drivers/catalogue/examples/acme-em1.yaml', import.meta.url).pathname;

describe('metergate models', () => {
  it('check exits 0 for the contract example', async () => {
    const c = captureContext();
    expect(await main(['models', 'check', EXAMPLE], c)).toBe(0);
    expect(c.out()).toMatch(/acme-em1\.yaml: ok \(acme-em1, 3 fields\)/);
  });

  it('check exits non-zero with one line per error naming the key', async () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      bad,
      [
        'model: bad-one',
        'vendor: x',
        'description: x',
        'defaults: { function: 4, type: float32 }',
        'fields:',
        '  - { obis: "1-0:32.7.0", address: 0 }',
        '  - { obis: "1-0:1.8.0", address: 1 }',
        '  - { obis: "1-0:2.8.0", address: 10, registers: 1 }',
        '  - { name: relay, address: 20, function: 9 }',
        '  - { name: far, address: 70000 }',
        '',
      ].join('\n'),
    );
    const c = captureContext();
    expect(await main(['models', 'check', bad], c)).not.toBe(0);
    const lines = c.err().trim().split('\n');
    expect(lines.some((l) => /bad\.yaml: fields\[3\]\.function: unknown function 9/.test(l))).toBe(true);
    expect(lines.some((l) => /bad\.yaml: fields\[4\]\.address: .*65535/.test(l))).toBe(true);
    // Schema errors come first; once they are fixed the semantic ones are named the same way.
    const semantic = path.join(dir, 'semantic.yaml');
    fs.writeFileSync(
      semantic,
      fs.readFileSync(bad, 'utf8').replace(/ {2}- \{ name: relay.*\n {2}- \{ name: far.*\n/, ''),
    );
    const d = captureContext();
    expect(await main(['models', 'check', semantic], d)).toBe(1);
    expect(d.err().trim().split('\n')).toEqual([
      `${semantic}: fields[2].registers: float32 takes 2 registers, not 1`,
    ]);
    fs.writeFileSync(semantic, fs.readFileSync(semantic, 'utf8').replace(', registers: 1', ''));
    const e = captureContext();
    expect(await main(['models', 'check', semantic], e)).toBe(1);
    expect(e.err()).toMatch(/semantic\.yaml: fields\[1\]\.address: 1-0:1\.8\.0 .*overlaps 1-0:32\.7\.0/);
  });

  it('list shows built-in and user models; show prints a register map', async () => {
    const user = path.join(dir, 'user');
    fs.mkdirSync(user);
    fs.copyFileSync(EXAMPLE, path.join(user, 'acme-em1.yaml'));
    const c = captureContext();
    expect(await main(['models', 'list', '--models', user], c)).toBe(0);
    expect(c.out()).toMatch(/^sdm630\s+built-in Eastron/m);
    expect(c.out()).toMatch(/^acme-em1\s+user\s+ACME single-phase meter/m);
    const s = captureContext();
    expect(await main(['models', 'show', 'iem3000'], s)).toBe(0);
    expect(s.out()).toMatch(/1-0:1\.8\.0\s+holding 3203 \(0x0c83\)\s+int64 ABCD ×0\.001 kWh/);
    const u = captureContext();
    expect(await main(['models', 'show', 'nope'], u)).toBe(1);
    expect(u.err()).toMatch(/unknown meter model/);
  });
});
