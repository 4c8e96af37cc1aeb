import { describe, expect, it } from 'vitest';
import { lookupObis } from '../../protocol/index.js';
import { CATALOGUE, getModel, MODEL_NAMES } from './catalogue.js';
import { decodePoint, encodePoint } from './codec.js';
import { defineModel } from './define-model.js';
import { CatalogueError } from './errors.js';
import { addressBlocks, MAX_READ_REGISTERS, planReads } from './planner.js';
import { energyImport, voltage } from './points.js';
import { registerCount } from './register-types.js';

describe('the whole catalogue', () => {
  it('holds the six required models under unique lower-case names', () => {
    expect([...MODEL_NAMES].sort()).toEqual([
      'abb-b23',
      'em24',
      'generic-obis',
      'janitza-b23',
      'sdm120',
      'sdm630',
    ]);
    for (const [key, m] of Object.entries(CATALOGUE)) expect(m.model).toBe(key);
  });

  for (const model of Object.values(CATALOGUE)) {
    describe(model.model, () => {
      it('maps only numeric OBIS codes in their registry unit, each once', () => {
        const codes = model.points.map((p) => p.obis);
        expect(new Set(codes).size).toBe(codes.length);
        for (const p of model.points) {
          const entry = lookupObis(p.obis);
          expect(entry?.numeric, p.obis).toBe(true);
          expect(p.unit, p.obis).toBe(entry?.unit);
        }
        expect(codes).toContain('1-0:1.8.0');
      });

      it('has no two points sharing a register', () => {
        const used = new Set<string>();
        for (const p of model.points) {
          for (let a = p.address; a < p.address + registerCount(p.type); a++) {
            const k = `${p.function}:${a}`;
            expect(used.has(k), `${p.obis} reuses ${k}`).toBe(false);
            used.add(k);
          }
        }
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
          expect(decoded, p.obis).not.toBeNull();
          expect(Math.abs((decoded as number) - v), p.obis).toBeLessThanOrEqual(
            Math.max(Math.abs(p.scale), v * 1e-6),
          );
        }
      });
    });
  }

  it('converts to OBIS units: SDM630 power W → kW, Janitza energy Wh → kWh, EM24 power W/10 → kW', () => {
    const sdmP = getModel('sdm630').points.find((p) => p.obis === '1-0:1.7.0')!;
    expect(sdmP.scale).toBe(0.001);
    expect(decodePoint(sdmP, [0x44fa, 0x0000])).toBeCloseTo(2.0, 9); // 2000.0 W
    const janE = getModel('janitza-b23').points.find((p) => p.obis === '1-0:1.8.0')!;
    expect(decodePoint(janE, [0x4974, 0x2400])).toBeCloseTo(1000.0, 6); // 1,000,000 Wh
    const emP = getModel('em24').points.find((p) => p.obis === '1-0:1.7.0')!;
    expect(decodePoint(emP, [0x4e20, 0x0000])).toBe(2.0); // 20000 × 0.1 W, low word first
  });

  it('getModel names the known models when asked for an unknown one', () => {
    expect(() => getModel('sdm999')).toThrow(/unknown meter model.*sdm630/);
    expect(() => getModel('toString')).toThrow(CatalogueError);
  });
});

describe('defineModel rejects conflicts at load time', () => {
  const base = {
    vendor: 'x',
    description: 'x',
    phases: 3 as const,
    defaults: { function: 4 as const, wordOrder: 'big' as const, type: 'float32' as const },
  };

  it('overlapping registers', () => {
    expect(() =>
      defineModel({
        ...base,
        model: 'bad',
        extend: [voltage({ phases: 3, address: 0 }), energyImport({ address: 3 })],
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'MG_ERR_CATALOGUE_CONFLICT',
        message: expect.stringMatching(/1-0:52\.7\.0.*overlaps 1-0:1\.8\.0/),
      }),
    );
  });

  it('the same register under two functions is not a conflict', () => {
    expect(() =>
      defineModel({
        ...base,
        model: 'ok',
        extend: [voltage({ phases: 1, address: 0 }), energyImport({ address: 0, function: 3 })],
      }),
    ).not.toThrow();
  });

  it('duplicate OBIS codes', () => {
    expect(() =>
      defineModel({
        ...base,
        model: 'bad',
        extend: [energyImport({ address: 0 }), energyImport({ address: 10 })],
      }),
    ).toThrow(expect.objectContaining({ code: 'MG_ERR_CATALOGUE_CONFLICT' }));
  });

  it('a unit that is not the OBIS unit, and unknown OBIS codes', () => {
    expect(() =>
      defineModel({ ...base, model: 'bad', extend: [energyImport({ address: 0, unit: 'Wh' })] }),
    ).toThrow(/differs from the OBIS unit/);
    expect(() => defineModel({ ...base, model: 'bad', extend: [{ obis: '9-9:9.9.9', address: 0 }] })).toThrow(
      /not a numeric OBIS code/,
    );
  });

  it('addresses past 0xFFFF and zero scales', () => {
    expect(() => defineModel({ ...base, model: 'bad', extend: [energyImport({ address: 0xffff })] })).toThrow(
      /out of 0\.\.65535/,
    );
    expect(() =>
      defineModel({ ...base, model: 'bad', extend: [energyImport({ address: 0, scale: 0 })] }),
    ).toThrow(/scale/);
  });
});
