import { DlmsError } from './errors.js';

/**
 * OBIS codes (IEC 62056-6-1): six value groups A.B.C.D.E.F, carried in COSEM as a 6-byte
 * logical name. The text form here is the dotted one the CLI contract uses ("1.0.1.8.0.255"); the
 * project's readings use the reduced "A-B:C.D.E" form (see toReadingObis).
 */
export function parseObis(text: string): Uint8Array {
  const m = /^(\d{1,3})[.-](\d{1,3})[.:](\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[.*](\d{1,3}))?$/.exec(text.trim());
  if (!m) throw new DlmsError('MG_ERR_DLMS_USAGE', `not an OBIS code: ${JSON.stringify(text)}`);
  const parts = m.slice(1).map((x) => (x === undefined ? 255 : Number(x)));
  if (parts.some((p) => p > 255)) throw new DlmsError('MG_ERR_DLMS_USAGE', `OBIS group over 255: ${text}`);
  return Uint8Array.from(parts);
}

export function formatObis(ln: Uint8Array): string {
  return Array.from(ln.subarray(0, 6)).join('.');
}

/** "1.0.1.8.0.255" → "1-0:1.8.0" (F = 255 dropped, as the project's reading keys are written). */
export function toReadingObis(ln: Uint8Array): string {
  const [a, b, c, d, e, f] = Array.from(ln);
  const base = `${a}-${b}:${c}.${d}.${e}`;
  return f === 255 ? base : `${base}*${f}`;
}

/** One CLI / config object reference: `[CLASS:]OBIS[:ATTR]`. */
export interface ObjectRef {
  readonly classId: number;
  readonly obis: string;
  readonly ln: Uint8Array;
  readonly attribute: number;
}

/** Class guessed from the OBIS code when the reference omits it (IEC 62056-6-1 conventions). */
export function defaultClassFor(ln: Uint8Array): number {
  const [a, , c, d] = Array.from(ln);
  if (a === 0 && c === 1 && d === 0) return 8; // clock
  if (a === 0 && c === 40) return 15; // association LN
  if (a === 0 && c === 43 && d === 0) return 64; // security setup
  if (a === 0 && c === 96 && d === 3 && ln[4] === 10) return 70; // disconnect control
  if (c === 99 || (a === 0 && c === 99)) return 7; // profiles
  if (a === 1 && d !== undefined && (d === 4 || d === 5)) return 5; // demand
  if (a === 1 && c !== undefined && c >= 1 && c < 96) return 3; // electricity registers
  return 1;
}

export function parseObjectRef(text: string): ObjectRef {
  const parts = text.split(':');
  let classId: number | undefined;
  let attribute = 2;
  let obisText: string;
  if (parts.length === 3) {
    classId = Number(parts[0]);
    obisText = parts[1]!;
    attribute = Number(parts[2]);
  } else if (parts.length === 2) {
    // CLASS:OBIS or OBIS:ATTR — the OBIS part has dots.
    if (parts[0]!.includes('.')) {
      obisText = parts[0]!;
      attribute = Number(parts[1]);
    } else {
      classId = Number(parts[0]);
      obisText = parts[1]!;
    }
  } else if (parts.length === 1) obisText = parts[0]!;
  else throw new DlmsError('MG_ERR_DLMS_USAGE', `object reference ${JSON.stringify(text)}`);
  const ln = parseObis(obisText);
  classId ??= defaultClassFor(ln);
  if (!Number.isInteger(classId) || classId < 0 || classId > 0xffff)
    throw new DlmsError('MG_ERR_DLMS_USAGE', `class id in ${JSON.stringify(text)}`);
  if (!Number.isInteger(attribute) || attribute < 1 || attribute > 127)
    throw new DlmsError('MG_ERR_DLMS_USAGE', `attribute in ${JSON.stringify(text)}`);
  return { classId, obis: formatObis(ln), ln, attribute };
}
