import type { DlmsData } from './axdr.js';
import { dateTimeToIso } from './date-time.js';

/**
 * DLMS data as plain JSON. Two shapes:
 * - `plainJson`: the recordings' shape (integers/enums as numbers, octet-strings as lowercase hex,
 *   bit-strings as "0101", arrays and structures as lists);
 * - `contractJson`: the CLI contract's shape, the same except that a fully specified date-time
 *   (type 25, or a 12-byte octet-string holding one) is ISO 8601.
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function num(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v.toString();
}

export function plainJson(d: DlmsData, dates = false): Json {
  switch (d.type) {
    case 'null-data':
      return null;
    case 'array':
    case 'structure':
    case 'compact-array':
      return d.value.map((x) => plainJson(x, dates));
    case 'long64':
    case 'long64-unsigned':
      return num(d.value);
    case 'octet-string':
    case 'date':
    case 'time': {
      if (dates && d.value.length === 12) {
        const iso = dateTimeToIso(d.value);
        if (iso) return iso;
      }
      return Buffer.from(d.value).toString('hex');
    }
    case 'date-time':
      return (dates && dateTimeToIso(d.value)) || Buffer.from(d.value).toString('hex');
    default:
      return d.value;
  }
}

export const contractJson = (d: DlmsData): Json => plainJson(d, true);

/** Printable ASCII text of an octet-string, when it is one (logical device names, serials). */
export function printableText(d: DlmsData): string | undefined {
  if (d.type !== 'octet-string' && d.type !== 'visible-string') return undefined;
  const b: Uint8Array = d.type === 'octet-string' ? d.value : Buffer.from(d.value as string, 'latin1');
  if (b.length === 0) return undefined;
  for (const c of b) if (c < 0x20 || c > 0x7e) return undefined;
  return Buffer.from(b).toString('latin1');
}
