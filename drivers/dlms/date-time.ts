import { DlmsError } from './errors.js';

/**
 * COSEM date-time (IEC 62056-6-2 §4.1.6.1, Blue Book "date-time"): year (u16, 0xFFFF = not
 * specified), month, day of month, day of week, hour, minute, second, hundredths, deviation (i16
 * minutes, 0x8000 = not specified), clock status. 12 bytes.
 *
 * Deviation sign: editions of the Blue Book disagree; the recorded peers (and dlms-cosem) read it
 * as the ISO 8601 offset in minutes (local = UTC + deviation). Both recorded implementations and
 * this simulator send UTC with deviation 0, where the conventions agree.
 */
export const DATE_TIME_LENGTH = 12;

export function encodeDateTime(ms: number, deviation = 0, status = 0): Uint8Array {
  const local = new Date(ms + deviation * 60_000);
  const b = new Uint8Array(12);
  const year = local.getUTCFullYear();
  b[0] = year >> 8;
  b[1] = year & 0xff;
  b[2] = local.getUTCMonth() + 1;
  b[3] = local.getUTCDate();
  b[4] = ((local.getUTCDay() + 6) % 7) + 1; // 1 = Monday … 7 = Sunday
  b[5] = local.getUTCHours();
  b[6] = local.getUTCMinutes();
  b[7] = local.getUTCSeconds();
  b[8] = Math.floor(local.getUTCMilliseconds() / 10);
  const dev = deviation & 0xffff;
  b[9] = dev >> 8;
  b[10] = dev & 0xff;
  b[11] = status;
  return b;
}

/** The instant (ms since epoch) of a fully specified date-time, or undefined when a field is open. */
export function decodeDateTime(b: Uint8Array): number | undefined {
  if (b.length !== 12) return undefined;
  const year = (b[0]! << 8) | b[1]!;
  const [month, day, , hour, minute, second] = [b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!];
  const hundredths = b[8]!;
  if (year === 0xffff || year < 1970 || year > 2200) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const h = hundredths === 0xff ? 0 : hundredths;
  if (h > 99) return undefined;
  let dev = (b[9]! << 8) | b[10]!;
  if (dev === 0x8000) dev = 0;
  else if (dev > 0x7fff) dev -= 0x10000;
  if (dev < -720 || dev > 720) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, h * 10);
  if (new Date(local).getUTCDate() !== day) return undefined;
  return local - dev * 60_000;
}

/** ISO 8601 with the date-time's own offset, e.g. 2026-12-03T21:08:10Z or …+01:00. */
export function dateTimeToIso(b: Uint8Array): string | undefined {
  const t = decodeDateTime(b);
  if (t === undefined) return undefined;
  let dev = (b[9]! << 8) | b[10]!;
  if (dev === 0x8000) dev = 0;
  else if (dev > 0x7fff) dev -= 0x10000;
  const local = new Date(t + dev * 60_000).toISOString().replace(/\.000Z$/, 'Z');
  if (dev === 0) return local;
  const sign = dev < 0 ? '-' : '+';
  const a = Math.abs(dev);
  const off = `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return local.replace(/Z$/, off);
}

export function parseIsoInstant(text: string): number {
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new DlmsError('MG_ERR_DLMS_USAGE', `not an ISO 8601 instant: ${text}`);
  return t;
}
