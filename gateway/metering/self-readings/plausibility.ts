import { refusal, type Refusal } from './refusals.js';

export interface KnownValue {
  index: number;
  at: Date;
}

export interface PlausibilityInput {
  index: number;
  readAt: Date;
  now: Date;
  /** Latest register value known at or before readAt, and earliest after it. */
  previous?: KnownValue;
  next?: KnownValue;
  /** Most a customer can plausibly consume per day on this register (unit of the register). */
  maxDailyConsumption: number;
  unit?: string;
  /** Oldest accepted reading (default 62 days). */
  maxAgeDays?: number;
  /** Clock skew tolerated for "not in the future" (default 5 minutes). */
  futureSkewMs?: number;
}

const DAY_MS = 86_400_000;

/**
 * Plausibility of an index a customer read off the meter: a number, not in the future, not too old,
 * monotonic with the register values around it, and not more consumption since the previous value
 * than the register's plausible maximum (a digit too many, a decimal comma read as a digit).
 */
export function checkSelfReading(i: PlausibilityInput): { ok: true } | { ok: false; reason: Refusal } {
  if (!Number.isFinite(i.index) || i.index < 0)
    return { ok: false, reason: refusal('MG_ERR_SELF_READING_INVALID_INDEX') };
  if (i.readAt.getTime() > i.now.getTime() + (i.futureSkewMs ?? 300_000)) {
    return { ok: false, reason: refusal('MG_ERR_SELF_READING_IN_FUTURE') };
  }
  const maxAgeDays = i.maxAgeDays ?? 62;
  if (i.now.getTime() - i.readAt.getTime() > maxAgeDays * DAY_MS) {
    return { ok: false, reason: refusal('MG_ERR_SELF_READING_TOO_OLD', { maxAgeDays }) };
  }
  if (!i.previous) return { ok: false, reason: refusal('MG_ERR_SELF_READING_NO_HISTORY') };
  const day = (d: Date) => d.toISOString().slice(0, 10);
  if (i.index < i.previous.index) {
    return {
      ok: false,
      reason: refusal('MG_ERR_SELF_READING_BELOW_PREVIOUS', {
        index: i.index,
        previousIndex: i.previous.index,
        previousAt: day(i.previous.at),
      }),
    };
  }
  if (i.next && i.index > i.next.index) {
    return {
      ok: false,
      reason: refusal('MG_ERR_SELF_READING_ABOVE_NEXT', {
        index: i.index,
        nextIndex: i.next.index,
        nextAt: day(i.next.at),
      }),
    };
  }
  // At least one day, so a reading an hour after the last one still allows a day's maximum.
  const days = Math.max(1, (i.readAt.getTime() - i.previous.at.getTime()) / DAY_MS);
  const consumption = i.index - i.previous.index;
  const maximum = i.maxDailyConsumption * days;
  if (consumption > maximum) {
    return {
      ok: false,
      reason: refusal('MG_ERR_SELF_READING_IMPLAUSIBLE_JUMP', {
        consumption: Math.round(consumption * 1000) / 1000,
        days: Math.round(days * 10) / 10,
        maximum: Math.round(maximum * 1000) / 1000,
        unit: i.unit ?? 'kWh',
      }),
    };
  }
  return { ok: true };
}
