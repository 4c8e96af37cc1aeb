/** UTC calendar days as "YYYY-MM-DD" strings and integer day numbers (days since 1970-01-01). */
const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_RE = /^(\d{4})-(\d{2})$/;

export function isDay(s: unknown): s is string {
  if (typeof s !== 'string' || !DAY_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export function isMonth(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = MONTH_RE.exec(s);
  return !!m && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[1]) >= 1970 && Number(m[1]) <= 9999;
}

export const dayNum = (s: string): number => Date.parse(`${s}T00:00:00Z`) / DAY_MS;
export const dayStr = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);
export const addDays = (s: string, n: number): string => dayStr(dayNum(s) + n);
export const monthOf = (day: string): string => day.slice(0, 7);

export function daysInMonth(month: string): number {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export const monthStart = (month: string): string => `${month}-01`;
export const monthEnd = (month: string): string => `${month}-${String(daysInMonth(month)).padStart(2, '0')}`;

export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

/** Months touched by [from, to], in order. */
export function monthsOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = monthOf(from); m <= monthOf(to); m = addMonths(m, 1)) out.push(m);
  return out;
}

/** Inclusive day count of [from, to]. */
export const daysBetween = (from: string, to: string): number => dayNum(to) - dayNum(from) + 1;
