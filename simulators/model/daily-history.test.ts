import { describe, expect, it } from 'vitest';
import type { Anomaly } from './anomalies.js';
import { dailyHistory } from './daily-history.js';
import { DAY_MS } from './load-profile.js';
import { SimulatedMeter } from './simulated-meter.js';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

describe('dailyHistory', () => {
  const base = {
    meterId: 'h-1',
    seed: 'fleet',
    profile: 'household' as const,
    from: '2025-01-01',
    to: '2026-12-31',
    initialKwh: 1000,
  };

  it('yields one day per date, register deltas that add up, and is reproducible', () => {
    const days = [...dailyHistory(base)];
    expect(days).toHaveLength(730);
    expect(days[0]!.date).toBe('2025-01-01');
    expect(days.at(-1)!.date).toBe('2026-12-31');
    const total = days.reduce((s, d) => s + d.kwh, 0);
    expect(days.at(-1)!.registerKwh - 1000).toBeCloseTo(total, 6);
    expect(days.every((d) => d.kwh > 0 && d.anomalies.length === 0)).toBe(true);
    expect([...dailyHistory(base)].map((d) => d.kwh)).toEqual(days.map((d) => d.kwh));
  });

  it('agrees with the live simulated meter of the same seed and id', () => {
    let now = day('2025-03-01');
    const meter = new SimulatedMeter({
      id: 'h-1',
      model: 'sdm630',
      seed: 'fleet',
      profile: 'household',
      initialKwh: 1000,
      clock: { now: () => now },
    });
    meter.values();
    const days = [...dailyHistory({ ...base, from: '2025-03-01', to: '2025-03-10' })];
    for (const d of days) {
      now = d.start + DAY_MS;
      expect(meter.values()['1-0:1.8.0']).toBeCloseTo(d.registerKwh, 6);
    }
  });

  it('injects anomalies with ground truth', () => {
    const anomalies: Anomaly[] = [
      { kind: 'jump', from: day('2025-02-01'), factor: 2 },
      { kind: 'leak', from: day('2025-03-01'), kw: 0.5 },
      { kind: 'stopped', from: day('2025-04-01'), to: day('2025-04-05') },
      { kind: 'rollback', at: day('2025-05-01') + 3_600_000, kwh: 800 },
    ];
    const plain = [...dailyHistory({ ...base, to: '2025-05-31' })];
    const odd = [...dailyHistory({ ...base, to: '2025-05-31', anomalies })];
    const at = (iso: string) => plain.findIndex((d) => d.date === iso);
    expect(odd[at('2025-01-15')]!.kwh).toBeCloseTo(plain[at('2025-01-15')]!.kwh, 9);
    expect(odd[at('2025-02-10')]!.kwh).toBeCloseTo(2 * plain[at('2025-02-10')]!.kwh, 9);
    expect(odd[at('2025-03-10')]!.kwh).toBeCloseTo(2 * plain[at('2025-03-10')]!.kwh + 0.5 * 24, 9);
    expect(odd[at('2025-04-02')]!.kwh).toBe(0);
    expect(odd[at('2025-04-02')]!.anomalies).toContain('stopped');
    expect(odd[at('2025-04-06')]!.kwh).toBeGreaterThan(0);
    expect(odd[at('2025-05-01')]!.kwh).toBeLessThan(0);
    expect(odd[at('2025-05-01')]!.anomalies).toContain('rollback');
  });

  it('generates many meters × 2 years from the same model (fast-forward; 1,000 meters is the same loop)', () => {
    let days = 0;
    for (let m = 0; m < 200; m++) {
      for (const d of dailyHistory({
        ...base,
        meterId: `m-${m}`,
        profile: m % 5 === 0 ? 'small-business' : 'household',
      })) {
        if (!(d.kwh >= 0)) throw new Error(`bad day ${d.date}`);
        days++;
      }
    }
    expect(days).toBe(200 * 730);
  });
});

describe('fleetHistory', () => {
  it('builds a reproducible fleet with a share of labelled anomalies', async () => {
    const { fleetHistory } = await import('./fleet-history.js');
    const opts = { seed: 'a', meters: 200, from: '2025-01-01', to: '2025-12-31', anomalyShare: 0.1 };
    const fleet = [...fleetHistory(opts)];
    expect(fleet).toHaveLength(200);
    expect(fleet[0]!.meterId).toBe('meter-0001');
    const odd = fleet.filter((m) => m.anomalies.length > 0);
    expect(odd.length).toBeGreaterThan(8);
    expect(odd.length).toBeLessThan(35);
    expect(fleet.some((m) => m.profile === 'small-business')).toBe(true);
    expect([...fleetHistory(opts)].map((m) => m.anomalies)).toEqual(fleet.map((m) => m.anomalies));
    const m = odd[0]!;
    const days = [...m.days()];
    expect(days).toHaveLength(365);
    const labelled = days.filter((d) => d.anomalies.length > 0);
    expect(labelled.length).toBeGreaterThan(0);
    // Anomalies begin after the quiet first 30 % of the range.
    expect(labelled[0]!.start).toBeGreaterThanOrEqual(Date.parse('2025-04-20T00:00:00Z'));
  });
});

describe('one register for history, live value and display', () => {
  it('the anchored history reaches the live meter’s register to the watt-hour at its first reading', async () => {
    const { SimulatedMeter } = await import('./simulated-meter.js');
    const now = Date.parse('2026-12-03T00:00:00Z');
    const meter = new SimulatedMeter({
      id: 'MTR-7',
      model: 'sdm630',
      seed: 'metergate-demo',
      clock: { now: () => now },
    });
    const live = meter.registerAt(now).totalKwh;
    const days = [
      ...dailyHistory({
        meterId: 'MTR-7',
        seed: 'metergate-demo',
        profile: 'household',
        from: '2024-12-03',
        to: '2026-12-02',
        anchor: { t: now },
      }),
    ];
    expect(days).toHaveLength(730);
    // The last backfilled day ends at `now`: its index is what the meter displays, to the Wh.
    expect(Math.round(days.at(-1)!.registerKwh * 1000)).toBe(Math.round(live * 1000));
    const later = now + 3 * 3_600_000;
    expect(meter.registerAt(later).totalKwh).toBeGreaterThan(days.at(-1)!.registerKwh);
    // Without the anchor the history starts from zero two years earlier and cannot agree.
    const unanchored = [
      ...dailyHistory({
        meterId: 'MTR-7',
        seed: 'metergate-demo',
        profile: 'household',
        from: '2024-12-03',
        to: '2026-12-02',
      }),
    ];
    expect(Math.abs(unanchored.at(-1)!.registerKwh - live)).toBeGreaterThan(1);
  });
});
