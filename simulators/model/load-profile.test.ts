import { describe, expect, it } from 'vitest';
import { DAY_MS, LoadProfile } from './load-profile.js';

const T0 = Date.parse('2026-01-05T00:00:00Z'); // a Monday

describe('LoadProfile', () => {
  it('is deterministic per (seed, meter id) and differs between meters and seeds', () => {
    const a = new LoadProfile({ kind: 'household', seed: 7, meterId: 'm1' });
    const b = new LoadProfile({ kind: 'household', seed: 7, meterId: 'm1' });
    const c = new LoadProfile({ kind: 'household', seed: 7, meterId: 'm2' });
    const d = new LoadProfile({ kind: 'household', seed: 8, meterId: 'm1' });
    const ts = Array.from({ length: 50 }, (_, i) => T0 + i * 1_234_567);
    expect(ts.map((t) => a.powerAt(t))).toEqual(ts.map((t) => b.powerAt(t)));
    expect(ts.map((t) => a.powerAt(t))).not.toEqual(ts.map((t) => c.powerAt(t)));
    expect(ts.map((t) => a.powerAt(t))).not.toEqual(ts.map((t) => d.powerAt(t)));
    expect(a.annualKwh).toBe(b.annualKwh);
  });

  it('energyBetween is the integral of powerAt (checked by an independent fine trapezoid rule)', () => {
    const p = new LoadProfile({ kind: 'small-business', seed: 1, meterId: 'shop' });
    const a = T0 + 3_333_333;
    const b = a + 5 * 3_600_000 + 777;
    const steps = 20_000;
    let sum = 0;
    for (let i = 0; i < steps; i++) {
      const t0 = a + ((b - a) * i) / steps;
      const t1 = a + ((b - a) * (i + 1)) / steps;
      sum += ((p.powerAt(t0) + p.powerAt(t1)) / 2) * ((t1 - t0) / 3_600_000);
    }
    expect(p.energyBetween(a, b).total).toBeCloseTo(sum, 6);
    // Additivity: splitting an interval does not change the energy.
    const m = a + 1_000_001;
    expect(p.energyBetween(a, m).total + p.energyBetween(m, b).total).toBeCloseTo(
      p.energyBetween(a, b).total,
      9,
    );
  });

  it('matches the annual consumption it was given, within noise', () => {
    const p = new LoadProfile({ kind: 'household', seed: 3, meterId: 'h', annualKwh: 4000 });
    const year = p.energyBetween(
      Date.parse('2025-01-01T00:00:00Z'),
      Date.parse('2026-01-01T00:00:00Z'),
    ).total;
    expect(year).toBeGreaterThan(3700);
    expect(year).toBeLessThan(4300);
  });

  it('has a daily curve, a weekly rhythm and seasons', () => {
    const shop = new LoadProfile({ kind: 'small-business', seed: 1, meterId: 'shop', annualKwh: 20000 });
    const day = (start: number) => shop.energyBetween(start, start + DAY_MS).total;
    let weekdays = 0;
    let sundays = 0;
    for (let w = 0; w < 8; w++) {
      weekdays += day(T0 + w * 7 * DAY_MS + 2 * DAY_MS); // Wednesdays
      sundays += day(T0 + w * 7 * DAY_MS + 6 * DAY_MS);
    }
    expect(weekdays / sundays).toBeGreaterThan(2);
    // Working hours draw more than the night.
    let noon = 0;
    let night = 0;
    for (let d = 0; d < 5; d++) {
      noon += shop.powerAt(T0 + d * DAY_MS + 11 * 3_600_000);
      night += shop.powerAt(T0 + d * DAY_MS + 3 * 3_600_000);
    }
    expect(noon / night).toBeGreaterThan(2);
    const house = new LoadProfile({ kind: 'household', seed: 1, meterId: 'h1' });
    const month = (iso: string) => house.energyBetween(Date.parse(iso), Date.parse(iso) + 28 * DAY_MS).total;
    expect(month('2026-01-01T00:00:00Z')).toBeGreaterThan(month('2026-07-01T00:00:00Z') * 1.2);
  });

  it('splits energy into tariff 1 (07–22 UTC) and the rest', () => {
    const p = new LoadProfile({ kind: 'household', seed: 1, meterId: 'x' });
    const night = p.energyBetween(T0, T0 + 7 * 3_600_000);
    expect(night.tariff1).toBe(0);
    const dayE = p.energyBetween(T0 + 7 * 3_600_000, T0 + 22 * 3_600_000);
    expect(dayE.tariff1).toBeCloseTo(dayE.total, 12);
  });
});
