import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupObis } from '../../protocol/index.js';
import {
  BUILTIN_MODELS_DIR,
  CATALOGUE,
  findModel,
  getModel,
  loadModelDir,
  MODEL_NAMES,
} from './catalogue.js';
import { decodePoint, encodePoint } from './codec.js';
import { defineModel } from './define-model.js';
import { CatalogueError } from './errors.js';
import { loadModelFile, modelFilesIn, parseModel } from './model-file.js';
import { modelJsonSchema } from './model-schema.js';
import { addressBlocks, MAX_READ_REGISTERS, planReads } from './planner.js';
import { energyImport, voltage } from './points.js';

const EXAMPLE = new URL('./examples/acme-em1.yaml', import.meta.url).pathname;

describe('the whole catalogue (models/*.yaml)', () => {
  const files = modelFilesIn(BUILTIN_MODELS_DIR);

  it('has at least the six original models and four more, each file valid and registered under a unique name', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    const names = files.map((f) => {
      const r = loadModelFile(f);
      expect(r.ok ? [] : r.errors, f).toEqual([]);
      return r.ok ? r.model.model : '';
    });
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...MODEL_NAMES].sort());
    for (const n of [
      'sdm630',
      'sdm120',
      'em24',
      'abb-b23',
      'janitza-b23',
      'generic-obis',
      'sdm72',
      'sdm230',
      'iem3000',
      'countis-e2x',
      'umg96rm',
    ])
      expect(MODEL_NAMES, n).toContain(n);
    for (const [key, m] of Object.entries(CATALOGUE)) {
      expect(m.model).toBe(key);
      expect(m.source, `${key} cites its vendor document`).toMatch(/\S{3}/);
    }
  });

  for (const model of Object.values(CATALOGUE)) {
    describe(model.model, () => {
      it('maps numeric OBIS codes in their registry unit, each once, including the import register', () => {
        const codes = model.points.flatMap((p) => (p.obis ? [p.obis] : []));
        expect(new Set(codes).size).toBe(codes.length);
        for (const p of model.points.filter((q) => q.obis)) {
          const entry = lookupObis(p.obis!);
          expect(entry?.numeric, p.key).toBe(true);
          expect(p.unit, p.key).toBe(entry?.unit);
        }
        expect(codes).toContain('1-0:1.8.0');
      });
      it('plans into reads of at most 125 registers that lie inside the served blocks', () => {
        const plan = planReads(model);
        const blocks = addressBlocks(model);
        expect(plan.flatMap((r) => r.points).length).toBe(model.points.length);
        for (const r of plan) {
          expect(r.count).toBeGreaterThanOrEqual(1);
          expect(r.count).toBeLessThanOrEqual(MAX_READ_REGISTERS);
          const inside = blocks.some(
            (b) =>
              b.function === r.function &&
              r.address >= b.address &&
              r.address + r.count <= b.address + b.count,
          );
          expect(inside, `read fc${r.function}@${r.address}+${r.count}`).toBe(true);
        }
      });
      it('round-trips a typical value through every point', () => {
        for (const p of model.points) {
          const v = p.unit === 'kWh' ? 12345.6 : p.unit === 'V' ? 230.1 : p.unit === 'Hz' ? 50.01 : 0.95;
          const decoded = decodePoint(p, encodePoint(p, v));
          expect(decoded, p.key).not.toBeNull();
          expect(Math.abs((decoded as number) - v), p.key).toBeLessThanOrEqual(
            Math.max(Math.abs(p.scale), v * 1e-6),
          );
        }
      });
    });
  }

  it('converts to OBIS units: SDM630 W → kW, Janitza Wh → kWh, EM24 W/10 low word first, iEM3000 int64 Wh', () => {
    const pt = (m: string, obis: string) => getModel(m).points.find((p) => p.obis === obis)!;
    expect(decodePoint(pt('sdm630', '1-0:1.7.0'), [0x44fa, 0x0000])).toBeCloseTo(2.0, 9); // 2000.0 W
    expect(decodePoint(pt('janitza-b23', '1-0:1.8.0'), [0x4974, 0x2400])).toBeCloseTo(1000.0, 6); // 1e6 Wh
    expect(decodePoint(pt('em24', '1-0:1.7.0'), [0x4e20, 0x0000])).toBe(2.0); // 20000 × 0.1 W
    expect(decodePoint(pt('iem3000', '1-0:1.8.0'), [0, 0, 0x0012, 0xd687])).toBe(1234.567); // 1,234,567 Wh
    expect(pt('iem3000', '1-0:32.7.0').address).toBe(3027); // register 3028 of the manual
  });

  it('getModel names the known models when asked for an unknown one', () => {
    expect(() => getModel('sdm999')).toThrow(/unknown meter model.*sdm630/);
    expect(() => getModel('toString')).toThrow(CatalogueError);
  });

  it('publishes model.schema.json generated from the TypeBox schema', () => {
    const file = new URL('./model.schema.json', import.meta.url);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(modelJsonSchema());
  });
});

describe('model files', () => {
  it('the contract example of the issue validates', () => {
    const r = loadModelFile(EXAMPLE);
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    expect(r.model.points.map((p) => [p.key, p.function, p.address, p.type, p.writable ?? false])).toEqual([
      ['1-0:32.7.0', 4, 0, 'float32', false],
      ['1-0:1.8.0', 4, 72, 'float32', false],
      ['relay', 1, 0, 'bit', true],
    ]);
    expect(r.model.phases).toBe(1);
  });

  const base = { model: 'bad', vendor: 'x', description: 'x', defaults: { function: 4, type: 'float32' } };
  const errorsOf = (fields: unknown[], extra: object = {}) => {
    const r = parseModel({ ...base, ...extra, fields }, 'bad.yaml');
    return r.ok ? [] : r.errors;
  };

  it('rejects overlapping fields, a float32 on one register, an unknown function and addresses above 65535, naming the key', () => {
    expect(
      errorsOf([
        { obis: '1-0:32.7.0', address: 0 },
        { obis: '1-0:1.8.0', address: 1 },
      ]),
    ).toEqual([
      expect.stringMatching(/^bad\.yaml: fields\[1\]\.address: 1-0:1\.8\.0 .* overlaps 1-0:32\.7\.0/),
    ]);
    expect(errorsOf([{ obis: '1-0:32.7.0', address: 0, registers: 1 }])).toEqual([
      'bad.yaml: fields[0].registers: float32 takes 2 registers, not 1',
    ]);
    expect(errorsOf([{ obis: '1-0:32.7.0', address: 0, function: 7 }])).toEqual([
      expect.stringMatching(/^bad\.yaml: fields\[0\]\.function: unknown function 7/),
    ]);
    expect(errorsOf([{ obis: '1-0:32.7.0', address: 70000 }])).toEqual([
      expect.stringMatching(/^bad\.yaml: fields\[0\]\.address: .*65535/),
    ]);
    expect(errorsOf([{ obis: '1-0:32.7.0', address: 65535 }])).toEqual([
      expect.stringMatching(/^bad\.yaml: fields\[0\]\.address: 65535 \+ 2 registers runs past 65535/),
    ]);
  });

  it('names every other mistake by its key', () => {
    expect(errorsOf([{ obis: '9-9:9.9.9', address: 0 }])[0]).toMatch(
      /fields\[0\]\.obis: .*not a numeric OBIS/,
    );
    expect(errorsOf([{ obis: '1-0:1.8.0', address: 0, unit: 'Wh' }])[0]).toMatch(
      /fields\[0\]\.unit: .*convert with scale/,
    );
    expect(errorsOf([{ name: 'x', address: 0, writable: true }])[0]).toMatch(
      /fields\[0\]\.writable: only coils/,
    );
    expect(errorsOf([{ address: 0 }])[0]).toMatch(/fields\[0\]\.obis: give exactly one of obis or name/);
    expect(errorsOf([{ name: 'x', address: 0, colour: 'red' }])[0]).toMatch(
      /fields\[0\]\.colour: unknown key/,
    );
    expect(errorsOf([{ name: 'sn', address: 0, type: 'string' }])[0]).toMatch(
      /fields\[0\]\.registers: a string needs/,
    );
    expect(
      errorsOf([
        { name: 'a', address: 0, type: 'uint16', bit: 0, bits: 4 },
        { name: 'b', address: 0, type: 'uint16', bit: 4, bits: 4 },
      ]),
    ).toEqual([]);
    expect(
      errorsOf([
        { name: 'a', address: 0, type: 'uint16', bit: 0, bits: 4 },
        { name: 'b', address: 0, type: 'uint16', bit: 3 },
      ])[0],
    ).toMatch(/fields\[1\]\.address: b .*overlaps a/);
  });

  it('decodes every type and byte order of the data model', () => {
    const r = parseModel(
      {
        ...base,
        fields: [
          { name: 'f64', address: 0, type: 'float64' },
          { name: 'i64', address: 4, type: 'int64', byteOrder: 'DCBA' },
          { name: 'u32badc', address: 8, type: 'uint32', byteOrder: 'BADC' },
          { name: 'flag', address: 10, type: 'uint16', bit: 4, bits: 3, scale: 2, offset: 1 },
          { name: 'sn', address: 11, type: 'string', registers: 3 },
          { name: 'coil', function: 1, address: 0 },
        ],
      },
      'types.yaml',
    );
    expect(r.ok ? [] : r.errors).toEqual([]);
    if (!r.ok) return;
    const p = (k: string) => r.model.points.find((q) => q.key === k)!;
    expect(decodePoint(p('f64'), [0x4059, 0x0000, 0, 0])).toBe(100); // IEEE 754 double 100.0
    expect(decodePoint(p('i64'), [0xfeff, 0xffff, 0xffff, 0xffff])).toBe(-2); // little-endian −2
    expect(decodePoint(p('u32badc'), [0x3412, 0x7856])).toBe(0x12345678);
    expect(decodePoint(p('flag'), [0b1010000])).toBe(5 * 2 + 1); // bits 4..6 = 0b101
    expect(decodePoint(p('coil'), [1])).toBe(1);
    for (const k of ['f64', 'i64', 'u32badc']) expect(decodePoint(p(k), encodePoint(p(k), 123))).toBe(123);
  });

  it('user directories add models; errors name the file, and built-in names cannot be taken', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-models-'));
    try {
      fs.copyFileSync(EXAMPLE, path.join(dir, 'acme-em1.yaml'));
      expect(loadModelDir(dir)).toMatchObject({ ok: true });
      expect(findModel('acme-em1')?.points).toHaveLength(3);
      fs.writeFileSync(
        path.join(dir, 'z.json'),
        JSON.stringify({
          model: 'sdm630',
          vendor: 'x',
          description: 'x',
          fields: [{ name: 'a', function: 3, address: 0, type: 'uint16' }],
        }),
      );
      const r = loadModelDir(dir);
      expect(r.ok ? [] : r.errors).toEqual([
        `${path.join(dir, 'z.json')}: model: sdm630 is a built-in model; choose another name`,
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('defineModel (programmatic API) rejects conflicts at load time', () => {
  const base = {
    vendor: 'x',
    description: 'x',
    phases: 3 as const,
    defaults: { function: 4 as const, wordOrder: 'big' as const, type: 'float32' as const },
  };
  it('overlapping registers and duplicate OBIS codes', () => {
    expect(() =>
      defineModel({
        ...base,
        model: 'bad',
        extend: [voltage({ phases: 3, address: 0 }), energyImport({ address: 3 })],
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'MG_ERR_CATALOGUE_CONFLICT',
        message: expect.stringMatching(/1-0:1\.8\.0.*overlaps 1-0:52\.7\.0/),
      }),
    );
    expect(() =>
      defineModel({
        ...base,
        model: 'ok',
        extend: [voltage({ phases: 1, address: 0 }), energyImport({ address: 0, function: 3 })],
      }),
    ).not.toThrow();
    expect(() =>
      defineModel({
        ...base,
        model: 'bad',
        extend: [energyImport({ address: 0 }), energyImport({ address: 10 })],
      }),
    ).toThrow(expect.objectContaining({ code: 'MG_ERR_CATALOGUE_CONFLICT' }));
  });
  it('units, unknown codes, addresses and scales', () => {
    expect(() =>
      defineModel({ ...base, model: 'bad', extend: [energyImport({ address: 0, unit: 'Wh' })] }),
    ).toThrow(/differs from the OBIS unit/);
    expect(() => defineModel({ ...base, model: 'bad', extend: [{ obis: '9-9:9.9.9', address: 0 }] })).toThrow(
      /not a numeric OBIS code/,
    );
    expect(() => defineModel({ ...base, model: 'bad', extend: [energyImport({ address: 0xffff })] })).toThrow(
      /out of 0\.\.65535/,
    );
    expect(() =>
      defineModel({ ...base, model: 'bad', extend: [energyImport({ address: 0, scale: 0 })] }),
    ).toThrow(/scale/);
  });
});
