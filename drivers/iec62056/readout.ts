import { lookupObis } from '../../protocol/index.js';

/**
 * IEC 62056-21:2002 (mode C) message parsing. Pure functions over untrusted bytes: every failure is a
 * tagged result, never an exception.
 */
export const SOH = 0x01;
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;

/** §6.3.14, table 3: baud-rate identification characters for protocol mode C. */
export const MODE_C_BAUD: Readonly<Record<string, number>> = {
  '0': 300,
  '1': 600,
  '2': 1200,
  '3': 2400,
  '4': 4800,
  '5': 9600,
  '6': 19200,
};

export interface Identification {
  /** Three-letter manufacturer id (FLAG association). */
  manufacturer: string;
  /** Baud-rate character Z as sent. */
  baudChar: string;
  baud: number;
  ident: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** §6.3.2 identification message `/XXXZ<ident>CR LF`. */
export function parseIdentification(line: string): Parsed<Identification> {
  const m = /^\/([A-Za-z]{2}[A-Za-z0-9])([0-9A-Z])(?:\\[0-9])?([\x20-\x7e]{1,16})\r\n$/.exec(line);
  if (!m) return { ok: false, reason: `not an identification message: ${JSON.stringify(line.slice(0, 40))}` };
  const baud = MODE_C_BAUD[m[2]!];
  if (baud === undefined) return { ok: false, reason: `baud character ${m[2]} is not a mode C rate (0..6)` };
  return { ok: true, value: { manufacturer: m[1]!, baudChar: m[2]!, baud, ident: m[3]! } };
}

/** §6.3.3 acknowledgement/option select: ACK V Z Y CR LF, V=0 normal, Y=0 data readout. */
export function ackOptionSelect(baudChar: string): Buffer {
  return Buffer.from([ACK, 0x30, baudChar.charCodeAt(0), 0x30, 0x0d, 0x0a]);
}

export function requestMessage(address?: string): Buffer {
  return Buffer.from(`/?${address ?? ''}!\r\n`, 'ascii');
}

/** §6.3.5 block check character: XOR of every byte after STX up to and including ETX. */
export function bcc(bytes: Uint8Array, start: number, end: number): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= bytes[i]!;
  return x;
}

export interface DataSet {
  address: string;
  value: string;
  unit?: string;
}

/**
 * Finds a complete data message `STX data ! CR LF ETX BCC` in `buf`. Returns `incomplete` while the
 * ETX and BCC have not both arrived.
 */
export function parseDataMessage(buf: Uint8Array): Parsed<DataSet[]> | { ok: 'incomplete' } {
  const stx = buf.indexOf(STX);
  if (stx < 0) return { ok: 'incomplete' };
  const etx = buf.indexOf(ETX, stx + 1);
  if (etx < 0 || etx + 1 >= buf.length) return { ok: 'incomplete' };
  const expected = bcc(buf, stx + 1, etx + 1);
  if (buf[etx + 1] !== expected)
    return {
      ok: false,
      reason: `BCC 0x${buf[etx + 1]!.toString(16).padStart(2, '0')} != computed 0x${expected.toString(16).padStart(2, '0')}`,
    };
  const text = Buffer.from(buf.subarray(stx + 1, etx)).toString('latin1');
  if (!/!\r\n$/.test(text)) return { ok: false, reason: 'data block does not end with "!" CR LF' };
  const sets: DataSet[] = [];
  for (const line of text.slice(0, -3).split('\r\n')) {
    if (line === '') continue;
    const re = /([^()\r\n]*)\(([^()*]*)(?:\*([^()]*))?\)/g;
    let m: RegExpExecArray | null;
    let any = false;
    let lastAddress = '';
    while ((m = re.exec(line)) !== null) {
      any = true;
      // Several value groups on one line share the line's address (§6.5 "data set").
      const address = m[1]! || lastAddress;
      lastAddress = address;
      const ds: DataSet = { address, value: m[2]! };
      if (m[3] !== undefined) ds.unit = m[3];
      sets.push(ds);
    }
    if (!any) return { ok: false, reason: `malformed data line ${JSON.stringify(line.slice(0, 60))}` };
  }
  return { ok: true, value: sets };
}

const UNIT_FACTORS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  kWh: { kWh: 1, Wh: 0.001, MWh: 1000 },
  kW: { kW: 1, W: 0.001 },
  kvarh: { kvarh: 1, varh: 0.001 },
  kvar: { kvar: 1, var: 0.001 },
  kVA: { kVA: 1, VA: 0.001 },
};

/**
 * Maps data sets to OBIS-keyed numbers: short addresses `C.D.E` are electricity `1-0:C.D.E`
 * (IEC 62056-61 reduced ID codes), the value is converted to the registry's unit, and anything
 * unknown, non-numeric or in an unconvertible unit is skipped (reported in `skipped`).
 */
export function toObisValues(sets: readonly DataSet[]): {
  values: Record<string, number>;
  skipped: string[];
} {
  const values: Record<string, number> = {};
  const skipped: string[] = [];
  for (const ds of sets) {
    // Value group F (`*NN`, or `&NN` for a reset triggered by hand) is the billing period: the
    // value stored at the end of period NN. It is a value of its own (`1-0:1.8.0*01`), never the
    // current register (IEC 62056-61 §5.7; IEC 62056-21 §6.5 data set address).
    const m = /^(.*?)(?:[*&](\d{1,3}))?$/.exec(ds.address.trim())!;
    const base = m[1]!;
    const billing = m[2] === undefined ? '' : `*${m[2].padStart(2, '0')}`;
    const obis = /^\d+-\d+:\d+\.\d+\.\d+$/.test(base)
      ? base + billing
      : /^\d+\.\d+\.\d+$/.test(base)
        ? `1-0:${base}${billing}`
        : null;
    const entry = obis ? lookupObis(obis) : undefined;
    const num = Number(ds.value);
    if (!obis || !entry || !entry.numeric || ds.value.trim() === '' || !Number.isFinite(num)) {
      skipped.push(ds.address);
      continue;
    }
    let factor = 1;
    const want = entry.unit ?? '';
    if (ds.unit !== undefined && ds.unit !== want) {
      const f = UNIT_FACTORS[want]?.[ds.unit];
      if (f === undefined) {
        skipped.push(ds.address);
        continue;
      }
      factor = f;
    }
    values[obis] = num * factor;
  }
  return { values, skipped };
}
