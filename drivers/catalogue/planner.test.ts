import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getModel } from './catalogue.js';
import { encodePoint } from './codec.js';
import { extractValues, planReads } from './planner.js';
import { registerCount } from './register-types.js';
import type { RegisterPoint } from './types.js';

const p = (
  address: number,
  type: RegisterPoint['type'] = 'float32',
  fn: 3 | 4 = 4,
  obis = `1-0:${address}.7.0`,
): RegisterPoint => ({
  key: obis,
  obis,
  registers: type === 'float32' ? 2 : 1,
  byteOrder: 'ABCD',
  function: fn,
  address,
  type,
  wordOrder: 'big',
  scale: 1,
  unit: '',
});

describe('planReads', () => {
  it('reads the whole SDM630 map in one request of 76 registers', () => {
    const plan = planReads(getModel('sdm630'));
    expect(plan.map((r) => [r.function, r.address, r.count])).toEqual([[4, 0, 0x4c]]);
  });

  it('splits ABB B23 into its two distant blocks', () => {
    const plan = planReads(getModel('abb-b23'));
    expect(plan.map((r) => [r.function, r.address, r.count])).toEqual([
      [3, 0x5000, 8],
      [3, 0x5b00, 0x3b],
    ]);
  });

  it('never merges across functions, honours maxGap and maxRegisters', () => {
    const pts = [p(0), p(2), p(10), p(0, 'uint16', 3, 'a'), p(200)];
    expect(planReads(pts, { maxGap: 0 }).map((r) => [r.function, r.address, r.count])).toEqual([
      [3, 0, 1],
      [4, 0, 4],
      [4, 10, 2],
      [4, 200, 2],
    ]);
    expect(planReads(pts, { maxGap: 6 }).map((r) => [r.function, r.address, r.count])).toEqual([
      [3, 0, 1],
      [4, 0, 12],
      [4, 200, 2],
    ]);
    expect(planReads([p(0), p(122), p(124)], { maxGap: 200 }).map((r) => [r.address, r.count])).toEqual([
      [0, 124],
      [124, 2],
    ]);
    expect(planReads([p(0), p(4)], { maxRegisters: 4, maxGap: 10 }).map((r) => r.count)).toEqual([2, 2]);
  });

  it('rejects limits outside the protocol', () => {
    expect(() => planReads([p(0)], { maxRegisters: 126 })).toThrow(/1\.\.125/);
    expect(() => planReads([p(0)], { maxRegisters: 0 })).toThrow(/1\.\.125/);
    expect(() => planReads([p(0)], { maxGap: -1 })).toThrow(/maxGap/);
  });

  it('property: every point is in exactly one read, reads ≤ maxRegisters, and the count is minimal', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 2, max: 125 }),
        fc.integer({ min: 0, max: 40 }),
        (slots, maxRegisters, maxGap) => {
          const pts = slots.map((s) => p(s * 2, 'float32', 4, `x-${s}`));
          const plan = planReads(pts, { maxRegisters, maxGap });
          const all = plan.flatMap((r) => r.points.map((q) => q.obis));
          expect(all.sort()).toEqual(pts.map((q) => q.obis).sort());
          for (const r of plan) {
            expect(r.count).toBeLessThanOrEqual(maxRegisters);
            for (const q of r.points) {
              expect(q.address).toBeGreaterThanOrEqual(r.address);
              expect(q.address + registerCount(q.type)).toBeLessThanOrEqual(r.address + r.count);
            }
          }
          // Lower bound by an independent dynamic programme over the sorted points.
          const addrs = pts.map((q) => q.address).sort((a, b) => a - b);
          const best: number[] = [0];
          for (let i = 1; i <= addrs.length; i++) {
            best[i] = Infinity;
            for (let j = i - 1; j >= 0; j--) {
              const span = addrs[i - 1]! + 2 - addrs[j]!;
              if (span > maxRegisters) break;
              let ok = true;
              for (let k = j + 1; k < i; k++) if (addrs[k]! - (addrs[k - 1]! + 2) > maxGap) ok = false;
              if (ok) best[i] = Math.min(best[i]!, best[j]! + 1);
            }
          }
          expect(plan.length).toBe(best[addrs.length]);
        },
      ),
      { numRuns: 200, seed: 4 },
    );
  });
});

describe('extractValues', () => {
  it('decodes each point of each response and skips failed reads', () => {
    const model = getModel('abb-b23');
    const plan = planReads(model);
    const responses = plan.map((r) => {
      const regs = new Array<number>(r.count).fill(0);
      for (const q of r.points) {
        const v = q.obis === '1-0:1.8.0' ? 4321.09 : q.obis === '1-0:32.7.0' ? 231.4 : null;
        const words = v === null ? encodePoint(q, null) : encodePoint(q, v);
        regs.splice(q.address - r.address, words.length, ...words);
      }
      return regs;
    });
    expect(extractValues(plan, responses)).toEqual({ '1-0:1.8.0': 4321.09, '1-0:32.7.0': 231.4 });
    expect(extractValues(plan, [undefined, responses[1]])).toEqual({ '1-0:32.7.0': 231.4 });
    expect(() => extractValues(plan, [responses[0]])).toThrow(/1 responses for a plan of 2/);
  });

  it('leaves out points a short response does not cover', () => {
    const plan = planReads([p(0), p(2)]);
    expect(extractValues(plan, [[0x4366, 0, 0x4366]])).toEqual({ '1-0:0.7.0': 230 });
  });
});
