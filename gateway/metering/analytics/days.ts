/**
 * Calendar days as integers (days since 1970-01-01, UTC), the unit every detector works in: cheap
 * arithmetic for "364 days back" and array offsets, and exact conversion to the `date` column.
 */
const MS_PER_DAY = 86_400_000;

export const DAYS_PER_WEEK = 7;
/** 52 weeks: one year back landing on the same weekday (a Monday compares with a Monday). */
export const WEEKDAY_ALIGNED_YEAR = 364;

export function dayNumber(day: string | Date): number {
  if (day instanceof Date) return Math.floor(day.getTime() / MS_PER_DAY);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError(`not a YYYY-MM-DD day: ${day}`);
  const n = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(n)) throw new RangeError(`not a calendar day: ${day}`);
  return n / MS_PER_DAY;
}

// Formatting a day through Date was most of the detectors' time (each window comparison names
// ~70 days): the strings of the days seen are kept (a few KB per year of days; bounded).
const DAY_STRINGS = new Map<number, string>();
const MAX_CACHED_DAYS = 100_000;

export function dayString(n: number): string {
  let s = DAY_STRINGS.get(n);
  if (s === undefined) {
    s = new Date(n * MS_PER_DAY).toISOString().slice(0, 10);
    if (DAY_STRINGS.size < MAX_CACHED_DAYS) DAY_STRINGS.set(n, s);
  }
  return s;
}

export function dayToDate(n: number): Date {
  return new Date(n * MS_PER_DAY);
}

/** First day of the calendar month containing day `n` (the billing month). */
export function monthStart(n: number): number {
  const d = new Date(n * MS_PER_DAY);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / MS_PER_DAY;
}

/** The same calendar date `years` earlier (29 Feb falls back to 28 Feb): billing periods. */
export function shiftYears(n: number, years: number): number {
  const d = new Date(n * MS_PER_DAY);
  const y = d.getUTCFullYear() + years;
  const m = d.getUTCMonth();
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(y, m, Math.min(d.getUTCDate(), last)) / MS_PER_DAY;
}

export function isDayString(s: string): boolean {
  try {
    dayNumber(s);
    return true;
  } catch {
    return false;
  }
}
