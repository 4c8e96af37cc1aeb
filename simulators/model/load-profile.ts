import { hashString, normal, uniform } from './random.js';

/**
 * A deterministic load profile: the active power of one meter as a pure function of time (UTC).
 * Power is defined at quarter-hour points and interpolated linearly between them, so energy over any
 * interval is an exact integral of the same curve the live meter reports: the register integrates
 * the power, and a year of daily totals costs 35,040 cheap evaluations.
 *
 * Shape = daily curve (weekday / Saturday / Sunday) × seasonal factor × per-day noise × per-slot
 * noise, normalised so the long-run mean matches the meter's annual consumption.
 */
export type ProfileKind = 'household' | 'small-business';
export const PROFILE_KINDS: readonly ProfileKind[] = ['household', 'small-business'];

export const SLOT_MS = 15 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;
const SLOTS_PER_DAY = DAY_MS / SLOT_MS;
const SLOT_HOURS = SLOT_MS / 3_600_000;
/** Day index (since 1970-01-01) of 15 January, the seasonal peak of heating load. */
const WINTER_PEAK_DAY = 14;
const YEAR_DAYS = 365.2425;

/** Typical annual consumption (kWh), the median of each kind; per meter it varies log-normally. */
const MEDIAN_ANNUAL_KWH: Record<ProfileKind, number> = { household: 3500, 'small-business': 25000 };

export interface LoadProfileOptions {
  readonly kind: ProfileKind;
  /** Fleet seed; with meterId it fixes every value the profile produces. */
  readonly seed: string | number;
  readonly meterId: string;
  /** Override the meter's annual consumption (kWh/year); default drawn around the kind's median. */
  readonly annualKwh?: number;
}

const bump = (h: number, centre: number, width: number) => Math.exp(-0.5 * ((h - centre) / width) ** 2);
/** Smooth step from 0 to 1 around `at` (logistic, ~1 h wide). */
const step = (h: number, at: number) => 1 / (1 + Math.exp(-(h - at) * 3));

type DayType = 'weekday' | 'saturday' | 'sunday';

/** Relative demand at hour h (0..24) of a day type; arbitrary units, normalised later. */
function shape(kind: ProfileKind, day: DayType, h: number): number {
  if (kind === 'household') {
    if (day === 'weekday')
      return 0.25 + 0.6 * bump(h, 7.25, 0.9) + 0.2 * bump(h, 13, 2) + 1.2 * bump(h, 19.5, 1.8);
    return 0.25 + 0.7 * bump(h, 9.5, 1.5) + 0.5 * bump(h, 13, 2.5) + 1.1 * bump(h, 19, 2);
  }
  // Small business: a working-hours plateau with a lunch dip, a short Saturday, closed on Sunday.
  if (day === 'weekday') return 0.3 + 1.0 * (step(h, 8) - step(h, 18)) - 0.15 * bump(h, 12.5, 0.7);
  if (day === 'saturday') return 0.3 + 0.45 * (step(h, 9) - step(h, 13.5));
  return 0.3;
}

function seasonal(kind: ProfileKind, day: number): number {
  const winter = Math.cos((2 * Math.PI * (day - WINTER_PEAK_DAY)) / YEAR_DAYS);
  // Households heat and light more in winter; businesses add a summer cooling bump.
  if (kind === 'household') return 1 + 0.25 * winter;
  return 1 + 0.08 * winter + 0.15 * Math.max(0, -winter) ** 2;
}

/** 1970-01-01 was a Thursday. */
function dayType(day: number): DayType {
  const dow = (((day + 4) % 7) + 7) % 7;
  return dow === 0 ? 'sunday' : dow === 6 ? 'saturday' : 'weekday';
}

export class LoadProfile {
  readonly kind: ProfileKind;
  readonly meterId: string;
  readonly annualKwh: number;
  private readonly key: number;
  /** kW per shape unit, so the mean over a year is annualKwh / 8760 h. */
  private readonly kwPerUnit: number;
  private lastDay: { day: number; kw: number; shape: Float64Array } | undefined;

  constructor(options: LoadProfileOptions) {
    this.kind = options.kind;
    this.meterId = options.meterId;
    this.key = hashString(`${options.seed}\u0000${options.meterId}`);
    this.annualKwh =
      options.annualKwh ?? MEDIAN_ANNUAL_KWH[options.kind] * Math.exp(0.35 * normal(this.key, 0, 0x51));
    this.kwPerUnit = this.annualKwh / 8760 / meanShape(options.kind);
  }

  /** The per-meter key other deterministic quantities (phase split, voltage wobble) derive from. */
  get seedKey(): number {
    return this.key;
  }

  /** Active power (kW) at the start of a quarter-hour slot (slot 0 = 1970-01-01T00:00Z). */
  slotPower(slot: number): number {
    const day = Math.floor(slot / SLOTS_PER_DAY);
    const f = this.dayFactors(day);
    // Mean-one noise, clipped so power stays positive (the Irwin–Hall draw is bounded at ±3.5σ anyway).
    const slotNoise = Math.max(0.3, 1 + 0.15 * normal(this.key, slot, 2));
    return f.kw * f.shape[slot - day * SLOTS_PER_DAY]! * slotNoise;
  }

  /** Per-day part of slotPower, memoised for the last day asked (integration walks days in order). */
  private dayFactors(day: number): { day: number; kw: number; shape: Float64Array } {
    if (this.lastDay?.day === day) return this.lastDay;
    const dayNoise = Math.exp(0.1 * normal(this.key, day, 1) - 0.5 * 0.1 ** 2);
    const f = {
      day,
      kw: this.kwPerUnit * seasonal(this.kind, day) * dayNoise,
      shape: shapeTable(this.kind, dayType(day)),
    };
    this.lastDay = f;
    return f;
  }

  /** Active power (kW) at time t (ms since epoch): linear between the slot points. */
  powerAt(t: number): number {
    const slot = Math.floor(t / SLOT_MS);
    const f = (t - slot * SLOT_MS) / SLOT_MS;
    const p0 = this.slotPower(slot);
    return p0 + (this.slotPower(slot + 1) - p0) * f;
  }

  /**
   * Energy (kWh) between two instants, the exact integral of powerAt, split into tariff 1 (07:00 to
   * 22:00 UTC) and the rest: tariff boundaries are slot boundaries, so each slot has one tariff.
   */
  energyBetween(a: number, b: number): { total: number; tariff1: number } {
    let total = 0;
    let tariff1 = 0;
    if (b <= a) return { total, tariff1 };
    let slot = Math.floor(a / SLOT_MS);
    let p0 = this.slotPower(slot);
    while (slot * SLOT_MS < b) {
      const p1 = this.slotPower(slot + 1);
      const start = slot * SLOT_MS;
      const f0 = Math.max(0, (a - start) / SLOT_MS);
      const f1 = Math.min(1, (b - start) / SLOT_MS);
      // ∫ (p0 + (p1 - p0) x) dx over [f0, f1], in slot-hours.
      const e = SLOT_HOURS * (p0 * (f1 - f0) + ((p1 - p0) * (f1 * f1 - f0 * f0)) / 2);
      total += e;
      const inDay = ((slot % SLOTS_PER_DAY) + SLOTS_PER_DAY) % SLOTS_PER_DAY;
      if (inDay >= 7 * 4 && inDay < 22 * 4) tariff1 += e;
      slot++;
      p0 = p1;
    }
    return { total, tariff1 };
  }

  /** A deterministic uniform draw for this meter (used for phase shares, PF, voltage). */
  draw(a: number, b = 0): number {
    return uniform(this.key, a, b);
  }

  /** A deterministic standard-normal draw for this meter. */
  gauss(a: number, b = 0): number {
    return normal(this.key, a, b);
  }
}

const shapeTables = new Map<string, Float64Array>();

/** The daily curve of a kind and day type at the 96 slot points, computed once. */
function shapeTable(kind: ProfileKind, day: DayType): Float64Array {
  const k = `${kind}/${day}`;
  let t = shapeTables.get(k);
  if (!t) {
    t = new Float64Array(SLOTS_PER_DAY);
    for (let s = 0; s < SLOTS_PER_DAY; s++) t[s] = shape(kind, day, s * SLOT_HOURS);
    shapeTables.set(k, t);
  }
  return t;
}

const meanCache = new Map<ProfileKind, number>();

/** Mean shape over a week and a year, without noise (noise has mean 1 by construction). */
function meanShape(kind: ProfileKind): number {
  const cached = meanCache.get(kind);
  if (cached !== undefined) return cached;
  let sum = 0;
  let n = 0;
  // 364 days = 52 whole weeks starting on a Thursday; seasonal averages out over the year.
  for (let day = 0; day < 364; day++) {
    for (let s = 0; s < SLOTS_PER_DAY; s++) {
      sum += shape(kind, dayType(day), s * SLOT_HOURS) * seasonal(kind, day);
      n++;
    }
  }
  const mean = sum / n;
  meanCache.set(kind, mean);
  return mean;
}
