/**
 * Strict ISO 8601 / RFC 3339 parsing. `Date.parse` rolls impossible dates over (2026-02-30 becomes
 * 2 March, 24:00 the next day) and accepts free text ("March 3 2026"); these helpers accept only the
 * RFC 3339 profile of ISO 8601 (section 5.6: full-date "T" full-time with an explicit offset) and
 * refuse any component out of its calendar range (section 5.7), so a bad date is an error, never
 * another date. Leap seconds (:60) are refused: no meter clock reports them.
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-](\d{2}):(\d{2}))$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function validDay(y: number, m: number, d: number): boolean {
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

const ZERO = 48; // '0'

/** The decimal value of `text[from..from+len)`, or -1 when one of those characters is not a digit. */
function digits(text: string, from: number, len: number): number {
  let n = 0;
  for (let i = from; i < from + len; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `YYYY-MM-DDTHH:MM:SSZ` and `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, what `Date#toISOString` and nearly
 * every device writes), checked character by character with the same ranges as the general path
 * below, without a regular expression or a `Date`: this runs once per reading on the ingest path,
 * where the general path was 9 % of the gateway thread. Anything else — an offset, another
 * fraction length, a year before 1970, a component out of range — returns undefined, and the
 * general path decides.
 */
function parseUtcDateTime(text: string): number | undefined {
  const n = text.length;
  if (n !== 20 && n !== 24) return undefined;
  const last = text.charCodeAt(n - 1);
  if (last !== 90 && last !== 122) return undefined; // Z z
  const t = text.charCodeAt(10);
  if (t !== 84 && t !== 116) return undefined; // T t
  if (text[4] !== '-' || text[7] !== '-' || text[13] !== ':' || text[16] !== ':') return undefined;
  let ms = 0;
  if (n === 24) {
    if (text[19] !== '.') return undefined;
    ms = digits(text, 20, 3);
    if (ms < 0) return undefined;
  }
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
    return undefined;
  const days = mo === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[mo - 1]!;
  if (d > days) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

/** Epoch milliseconds of an RFC 3339 date-time with offset, or undefined when it is not one. */
export function parseIsoDateTime(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length > 40) return undefined;
  const utc = parseUtcDateTime(text);
  if (utc !== undefined) return utc;
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined;
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return undefined;
  const ms = Date.parse(m[6] === undefined ? text.replace(/([Tt]\d{2}:\d{2})/, '$1:00') : text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The Date of an RFC 3339 date-time, or undefined. */
export function parseIsoDate(text: unknown): Date | undefined {
  const ms = parseIsoDateTime(text);
  return ms === undefined ? undefined : new Date(ms);
}

/** Whether `text` is a real calendar day `YYYY-MM-DD` (2026-02-30 is not). */
export function isIsoDay(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  const m = DAY.exec(text);
  return !!m && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}
