import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseFleetConfig } from './fleet-config.js';

describe('parseFleetConfig', () => {
  it('serves Modbus TCP unit ids 0 and 255 (gateways use them) but keeps serial lines to 1..247', () => {
    const tcp = parseFleetConfig({
      meters: [
        { model: 'sdm630', modbusTcp: '127.0.0.1:0', unitId: 0 },
        { model: 'sdm630', modbusTcp: '127.0.0.1:0', unitId: 255 },
      ],
    });
    expect(tcp.ok).toBe(true);
    const rtu = parseFleetConfig({ meters: [{ model: 'sdm120', rtu: { path: '/dev/l' }, unitId: 0 }] });
    expect(rtu.ok ? [] : rtu.errors).toEqual([
      expect.stringMatching(/^meters\[0\]\.unitId: must be .*1\.\.247/),
    ]);
  });
  it('accepts a mixed fleet', () => {
    const r = parseFleetConfig(
      parse(`
seed: 42
acceleration: 60
start: 2026-01-01T00:00:00Z
meters:
  - model: sdm630
    count: 10
    modbusTcp: 127.0.0.1:5020
    faults: [{kind: busy, probability: 0.05}]
  - model: em24
    count: 2
    unitId: 11
    profile: small-business
    modbusTcp: {host: 127.0.0.1, port: 5020}
    anomalies: [{kind: leak, from: 2026-01-10, kw: 0.3}]
  - model: sdm120
    count: 3
    rtu: {path: /tmp/x/A, baud: 9600}
  - model: sdm630
    iec: {path: /tmp/x/C}
`),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.meters).toHaveLength(4);
    expect(r.value.meters[1]!.anomalies[0]).toEqual({
      kind: 'leak',
      from: Date.parse('2026-01-10'),
      kw: 0.3,
    });
    expect(r.value.meters[2]!.rtu).toEqual({ path: '/tmp/x/A', baud: 9600, parity: 'none' });
    expect(r.value.start).toBe(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('names every problem with its path', () => {
    const r = parseFleetConfig({
      acceleration: -1,
      colour: 'red',
      meters: [
        { model: 'sdm999', modbusTcp: 'nohost' },
        { model: 'sdm630', rtu: { path: '/dev/x', baud: 1234 }, faults: [{ kind: 'meltdown' }] },
        { model: 'sdm630', count: 2, iec: { path: '/dev/y' } },
        { model: 'sdm630' },
        { model: 'sdm630', modbusTcp: { port: 5020 }, count: 3 },
        { model: 'em24', modbusTcp: { port: 5020 }, unitId: 2 },
        { model: 'sdm630', modbusTcp: { port: 1 }, unitId: 250, count: 10 },
        { model: 'sdm630', modbusTcp: { port: 2 }, anomalies: [{ kind: 'jump', from: 'soon', factor: 2 }] },
        { model: 'sdm120', rtu: { path: '/dev/line', baud: 9600 }, count: 2 },
        { model: 'sdm120', rtu: { path: '/dev/line', baud: 19200 }, unitId: 10 },
        { model: 'sdm120', rtu: { path: '/dev/line', baud: 9600 }, unitId: 2 },
        { model: 'sdm630', iec: { path: '/dev/line' } },
        { model: 'sdm630', modbusTcp: { port: 3, portPerMeter: true }, count: 3 },
        { model: 'sdm630', modbusTcp: { port: 5 } },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join('\n');
    for (const want of [
      /^acceleration: must be a number in 0\.\.10000000/m,
      /^\(root\)\.colour: unknown key/m,
      /^meters\[0\]\.model: must be one of .*sdm630.*, got "sdm999"/m,
      /^meters\[0\]\.modbusTcp: must be HOST:PORT/m,
      /^meters\[1\]\.rtu\.baud: must be one of 1200, 2400/m,
      /^meters\[1\]\.faults\[0\]\.kind: must be one of no-reply, late-reply, busy, bad-crc, slow-bytes, offline/m,
      /^meters\[2\]\.count: an iec meter owns its serial line/m,
      /^meters\[3\]: needs exactly one transport/m,
      /^meters\[5\]: unit id 2 on tcp 127\.0\.0\.1:5020 is also used by meters\[4\]/m,
      /^meters\[6\]: unit ids 250\.\.259 exceed 255/m,
      /^meters\[7\]\.anomalies\[0\]\.from: must be an ISO date-time/m,
      /^meters\[9\]: serial line \/dev\/line is already used by meters\[8\] \(rtu at 9600 baud\)/m,
      /^meters\[10\]: unit id 2 on rtu \/dev\/line is also used by meters\[8\]/m,
      /^meters\[11\]: serial line \/dev\/line is already used by meters\[10\] \(rtu at 9600 baud\)/m,
      /^meters\[13\]: unit id 1 on tcp 127\.0\.0\.1:5 is also used by meters\[12\]/m,
    ]) {
      expect(text).toMatch(want);
    }
  });

  it('rejects a document that is not a mapping', () => {
    expect(parseFleetConfig('meters')).toEqual({
      ok: false,
      errors: ['(root): must be a mapping with a `meters` list'],
    });
    expect(parseFleetConfig({ meters: [] })).toEqual({
      ok: false,
      errors: ['meters: must be a non-empty list of meter groups'],
    });
  });
});

describe('the example fleet file', () => {
  it('is valid', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../examples/fleet.yaml', import.meta.url), 'utf8');
    const r = parseFleetConfig(parse(text));
    expect(r.ok ? [] : r.errors).toEqual([]);
  });
});
