import type { AnomalyKind, MeterSeries } from '../types.js';
import { between, gaussian, intBetween, meterSeed, mulberry32 } from './prng.js';

/**
 * A seeded daily load model for a fleet of electricity meters, with anomalies injected at known
 * places, so detection can be measured against ground truth. Each meter depends only on (seed,
 * index): meter 42 is the same whether the set has 1,000 or 1,000,000 meters, and sets stream.
 *
 * The normal behaviour deliberately contains what fools naive detectors: seasonal swing, weekday
 * shape (commercial sites close at weekends), year-on-year drift, day-to-day noise, missing days,
 * absences of one to two weeks (also in the prior-year window), meters installed less than a year
 * ago, and prepaid meters disconnected for lack of credit (zero consumption that is expected).
 */
export interface LoadModelOptions {
  seed: number;
  /** Last day of history (day number) = the scan's as-of day. */
  asOf: number;
  /** Days of history (default 730: two years). */
  days?: number;
  /** Share of meters with an injected anomaly (default 0.12). */
  anomalyRate?: number;
  obis?: string;
}

export interface GeneratedMeter {
  series: MeterSeries;
  /** Injected anomalies: the ground truth. */
  truth: AnomalyKind[];
  /** What else shapes the meter, for reading a miss or a false alarm. */
  traits: {
    meterClass: string;
    prepaid: boolean;
    newMeter: boolean;
    absences: number;
    disconnected: boolean;
  };
}

const TWO_PI = 2 * Math.PI;

export function generateMeter(index: number, o: LoadModelOptions): GeneratedMeter {
  const rand = mulberry32(meterSeed(o.seed, index));
  const days = o.days ?? 730;
  const start = o.asOf - days + 1;
  const commercial = rand() < 0.15;
  const meterClass = commercial ? 'commercial' : 'residential';
  const base = commercial ? between(rand, 40, 150) : between(rand, 4, 14);
  const amplitude = between(rand, 0.08, 0.3);
  const peakDoy = rand() < 0.5 ? 15 : 200; // winter heating or summer air conditioning
  const drift = between(rand, -0.1, 0.1); // per year
  const weekend = commercial ? between(rand, 0.25, 0.5) : between(rand, 1.0, 1.25);
  const sigma = between(rand, 0.08, 0.18);
  const newMeter = rand() < 0.05;
  const firstDay = newMeter ? o.asOf - intBetween(rand, 120, 300) : start;
  const prepaid = !commercial && rand() < 0.25;

  const consumption = new Float64Array(days).fill(NaN);
  const profile = new Float64Array(days);
  for (let i = 0; i < days; i++) {
    const d = start + i;
    const doy = ((d % 365.2425) + 365.2425) % 365.2425;
    const dow = (d + 4) % 7; // 1970-01-01 was a Thursday (4)
    const wk = dow === 0 || dow === 6 ? weekend : 1;
    const season = 1 + amplitude * Math.cos((TWO_PI * (doy - peakDoy)) / 365.2425);
    const trend = 1 + (drift * (d - start)) / 365;
    profile[i] = base * wk * season * trend * Math.exp(sigma * gaussian(rand) - (sigma * sigma) / 2);
  }
  // Absences: one to two weeks at base load (fridge, standby), anywhere in the two years.
  let absences = 0;
  const nAbs = rand() < 0.3 ? intBetween(rand, 1, 2) : 0;
  for (let k = 0; k < nAbs; k++) {
    const len = intBetween(rand, 7, 16);
    const at = intBetween(rand, 0, days - 80 - len); // not in the last 80 days: the scan's window
    for (let i = at; i < at + len; i++) profile[i] = profile[i]! * 0.25;
    absences++;
  }

  const truth: AnomalyKind[] = [];
  const rate = o.anomalyRate ?? 0.12;
  const pick = rand();
  let disconnectedSince: number | undefined;
  let backwardsDay = -1;
  let backwardsDrop = 0;
  const last = days - 1;
  if (pick < rate) {
    const share = pick / rate; // which kind, proportionally
    if (share < 0.4) {
      truth.push('high_consumption');
      const k = intBetween(rand, 7, 21);
      const f = between(rand, 2, 3.5);
      for (let i = last - k + 1; i <= last; i++) profile[i] = profile[i]! * f;
    } else if (share < 0.7) {
      truth.push('zero_consumption');
      const k = intBetween(rand, 8, 25);
      for (let i = last - k + 1; i <= last; i++) profile[i] = 0;
    } else if (share < 0.85 || !prepaid) {
      truth.push('register_backwards');
      backwardsDay = last - intBetween(rand, 0, 5);
      backwardsDrop = between(rand, 5, 800);
    } else {
      truth.push('disconnected_consumption');
      disconnectedSince = o.asOf - intBetween(rand, 3, 14);
    }
  } else if (prepaid && rand() < 0.12) {
    // Credit exhausted, relay open: zero consumption afterwards is expected, not an anomaly.
    disconnectedSince = o.asOf - intBetween(rand, 3, 20);
    const i0 = disconnectedSince - start;
    profile[i0] = profile[i0]! * 0.5;
    for (let i = i0 + 1; i <= last; i++) profile[i] = 0;
  }

  const first = new Float64Array(days).fill(NaN);
  const lastV = new Float64Array(days).fill(NaN);
  let index0 = Math.round(between(rand, 1_000, 60_000) * 1000) / 1000;
  for (let i = 0; i < days; i++) {
    if (start + i < firstDay) continue;
    if (i === backwardsDay) index0 = Math.max(0, index0 - backwardsDrop);
    const c = Math.round(profile[i]! * 1000) / 1000;
    // About 0.5 % of days never reach the gateway (no row), the register still advances.
    const missing = rand() < 0.005 && i < last - 1 && i !== backwardsDay;
    if (!missing) {
      consumption[i] = c;
      first[i] = index0;
      lastV[i] = Math.round((index0 + c) * 1000) / 1000;
    }
    index0 = Math.round((index0 + c) * 1000) / 1000;
  }
  const meterId = `M${String(index).padStart(7, '0')}`;
  return {
    series: {
      meterId,
      obis: o.obis ?? '1-0:1.8.0',
      meterClass,
      start,
      consumption,
      first,
      last: lastV,
      ...(disconnectedSince !== undefined ? { disconnectedSince } : {}),
    },
    truth,
    traits: { meterClass, prepaid, newMeter, absences, disconnected: disconnectedSince !== undefined },
  };
}

/** Meters [from, to) of a data set, one at a time (a million meters never sit in memory at once). */
export function* generateFleet(o: LoadModelOptions, from: number, to: number): Generator<GeneratedMeter> {
  for (let i = from; i < to; i++) yield generateMeter(i, o);
}
