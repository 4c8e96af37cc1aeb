import { describe, expect, it } from 'vitest';
import { CATALOGUE, extractValues, getModel, planReads, type MeterModel } from '../../drivers/index.js';
import { SimClock } from './clock.js';
import { SimulatedMeter } from './simulated-meter.js';

const START = Date.parse('2026-01-14T18:30:00Z');

describe('SimulatedMeter', () => {
  it('keeps the registers physically consistent', () => {
    const meter = new SimulatedMeter({ id: 'm', model: 'sdm630', seed: 2, clock: { now: () => START } });
    for (let k = 0; k < 200; k++) {
      const v = meter.values(START + k * 37_000);
      const phases = ['1-0:21.7.0', '1-0:41.7.0', '1-0:61.7.0'].map((c) => v[c]!);
      expect(phases.reduce((a, b) => a + b, 0)).toBeCloseTo(v['1-0:1.7.0']!, 9);
      for (const [vc, ic, pc, pfc] of [
        ['1-0:32.7.0', '1-0:31.7.0', '1-0:21.7.0', '1-0:33.7.0'],
        ['1-0:52.7.0', '1-0:51.7.0', '1-0:41.7.0', '1-0:53.7.0'],
        ['1-0:72.7.0', '1-0:71.7.0', '1-0:61.7.0', '1-0:73.7.0'],
      ] as const) {
        expect(v[vc]).toBeGreaterThan(215);
        expect(v[vc]).toBeLessThan(245);
        // P = V · I · PF per phase.
        expect((v[vc]! * v[ic]! * v[pfc]!) / 1000).toBeCloseTo(v[pc]!, 9);
      }
      expect(Math.abs(v['1-0:14.7.0']! - 50)).toBeLessThan(0.1);
      expect(v['1-0:9.7.0']! ** 2).toBeCloseTo(v['1-0:1.7.0']! ** 2 + v['1-0:3.7.0']! ** 2, 1);
      expect(v['1-0:1.8.1']! + v['1-0:1.8.2']!).toBeCloseTo(v['1-0:1.8.0']!, 9);
    }
  });

  it('integrates power into the energy register, also when the clock is accelerated', () => {
    let wall = 0;
    const clock = new SimClock({ start: START, acceleration: 3600, wallClock: () => wall });
    const meter = new SimulatedMeter({ id: 'm', model: 'sdm120', seed: 2, initialKwh: 500, clock });
    expect(meter.values()['1-0:1.8.0']).toBe(500);
    let prev = 500;
    let integral = 500;
    let prevP = meter.values()['1-0:1.7.0']!;
    for (let k = 0; k < 60; k++) {
      wall += 1000; // one real second = one simulated hour
      const v = meter.values();
      integral += ((prevP + v['1-0:1.7.0']!) / 2) * 1; // trapezoid, 1 h steps (coarse, independent)
      prevP = v['1-0:1.7.0']!;
      expect(v['1-0:1.8.0']).toBeGreaterThanOrEqual(prev);
      prev = v['1-0:1.8.0']!;
    }
    expect(prev).toBeCloseTo(integral, -1);
    clock.fastForward(365 * 86_400_000);
    expect(meter.values()['1-0:1.8.0']! - prev).toBeGreaterThan(1000);
  });

  it('serves every catalogue model so that the driver-side plan reads back its values', () => {
    for (const model of Object.values(CATALOGUE)) {
      const meter = new SimulatedMeter({
        id: `x-${model.model}`,
        model: model.model,
        seed: 9,
        clock: { now: () => START },
      });
      const plan = planReads(model);
      const responses = plan.map((r) => {
        const res = meter.readRegisters(r.function, r.address, r.count);
        if (!res.ok) throw new Error(`${model.model}: exception ${res.exception}`);
        return res.registers;
      });
      const got = extractValues(plan, responses);
      const want = meter.values();
      for (const p of model.points) {
        const w = want[p.key] ?? 0; // a named field the load model does not know reads 0
        const tol = Math.max(Math.abs(p.scale), Math.abs(w) * 1e-6);
        expect(Math.abs(got[p.key]! - w), `${model.model} ${p.key}`).toBeLessThanOrEqual(tol);
      }
    }
  });

  it('answers like a Modbus server: exception 1, 2, 3', () => {
    const meter = new SimulatedMeter({ id: 'm', model: 'sdm630', clock: { now: () => START } });
    expect(meter.readRegisters(6, 0, 1)).toEqual({ ok: false, exception: 1 });
    expect(meter.readRegisters(3, 0, 2)).toEqual({ ok: false, exception: 2 }); // SDM630 maps input registers only
    expect(meter.readRegisters(4, 0x1000, 2)).toEqual({ ok: false, exception: 2 });
    expect(meter.readRegisters(4, 0x40, 0x20)).toEqual({ ok: false, exception: 2 }); // runs past the block
    expect(meter.readRegisters(4, 0, 126)).toEqual({ ok: false, exception: 3 });
    expect(meter.readRegisters(4, 0, 0)).toEqual({ ok: false, exception: 3 });
    const ok = meter.readRegisters(4, 0, 0x4c);
    expect(ok.ok && ok.registers.length).toBe(0x4c);
    expect(getModel('sdm630').points.length).toBeGreaterThan(0);
  });
});

describe('SimulatedMeter register image', () => {
  it('refreshes once per simulated second and agrees with the exact values at the refresh instant', () => {
    let now = START + 400;
    const meter = new SimulatedMeter({ id: 'img', model: 'sdm630', seed: 4, clock: { now: () => now } });
    const energy = getModel('sdm630').points.find((p) => p.obis === '1-0:1.8.0')!;
    const read = () => {
      const r = meter.readRegisters(4, 0, 0x4c);
      if (!r.ok) throw new Error('read failed');
      return r.registers;
    };
    const first = read();
    now = START + 900;
    expect(read()).toEqual(first); // same refresh period
    now = START + 3_600_000;
    const later = read();
    expect(later).not.toEqual(first);
    const exact = meter.values(START + 3_600_000)['1-0:1.8.0']!;
    expect(
      extractValues([{ function: 4, address: 0, count: 0x4c, points: [energy] }], [later])['1-0:1.8.0'],
    ).toBeCloseTo(exact, 2);
    // Interleaving exact and refresh instants keeps the register monotonic.
    now = START + 3_600_500;
    expect(meter.values(START + 3_600_700)['1-0:1.8.0']!).toBeGreaterThanOrEqual(exact);
    read();
    expect(meter.values(START + 3_600_800)['1-0:1.8.0']!).toBeGreaterThanOrEqual(exact);
  });

  it('an open relay stops consumption; closing it resumes from where it stopped', () => {
    let now = START;
    const model = {
      ...CATALOGUE.sdm630!,
      model: 'sdm630-relay',
      points: [
        ...CATALOGUE.sdm630!.points,
        {
          key: 'relay',
          name: 'relay',
          function: 1,
          address: 0,
          type: 'bit',
          registers: 1,
          scale: 1,
          unit: '',
          writable: true,
        },
      ],
    } as MeterModel;
    const meter = new SimulatedMeter({ id: 'relay-1', model, seed: 3, clock: { now: () => now } });
    expect(meter.readRegisters(1, 0, 1)).toEqual({ ok: true, registers: [1] });
    const e0 = meter.values()['1-0:1.8.0']!;
    expect(meter.writeRegisters(1, 0, [0])).toEqual({ ok: true, registers: [] });
    expect(meter.readRegisters(1, 0, 1)).toEqual({ ok: true, registers: [0] });
    const atOpen = meter.values()['1-0:1.8.0']!;
    now += 6 * 3600_000;
    expect(meter.values()['1-0:1.8.0']).toBe(atOpen);
    expect(meter.values()['1-0:1.7.0']).toBe(0);
    meter.writeRegisters(1, 0, [1]);
    expect(meter.values()['1-0:1.8.0']).toBeCloseTo(atOpen, 9);
    now += 6 * 3600_000;
    expect(meter.values()['1-0:1.8.0']!).toBeGreaterThan(atOpen);
    expect(atOpen).toBeGreaterThanOrEqual(e0);
    expect(meter.writeRegisters(3, 0, [1])).toEqual({ ok: false, exception: 2 }); // read-only register
  });
});
