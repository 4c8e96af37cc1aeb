/**
 * IEC 62056-21 data-block formatting (shared by the simulator and its tests): data lines
 * `C.D.E(value*unit)`, the readout message STX … `!` CR LF ETX BCC, and the block check character.
 */
export const SOH = 0x01;
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;
export const CRLF = '\r\n';

/** IEC 62056-21 §6.3.14, mode C baud rate identification character Z → baud. */
export const MODE_C_BAUDS: readonly number[] = [300, 600, 1200, 2400, 4800, 9600, 19200];
export const INITIAL_BAUD = 300;

/** §6.3.15: BCC = XOR of every byte after STX (or SOH) up to and including ETX. */
export function bcc(bytes: Uint8Array): number {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x & 0x7f;
}

/** Values printed per OBIS code: digits after the point and the unit shown (none for power factor). */
const FORMATS: ReadonlyArray<[obis: string, decimals: number, width: number, unit: string]> = [
  ['1-0:1.8.0', 3, 10, 'kWh'],
  ['1-0:1.8.1', 3, 10, 'kWh'],
  ['1-0:1.8.2', 3, 10, 'kWh'],
  ['1-0:2.8.0', 3, 10, 'kWh'],
  ['1-0:1.7.0', 3, 6, 'kW'],
  ['1-0:21.7.0', 3, 6, 'kW'],
  ['1-0:41.7.0', 3, 6, 'kW'],
  ['1-0:61.7.0', 3, 6, 'kW'],
  ['1-0:32.7.0', 1, 5, 'V'],
  ['1-0:52.7.0', 1, 5, 'V'],
  ['1-0:72.7.0', 1, 5, 'V'],
  ['1-0:31.7.0', 2, 6, 'A'],
  ['1-0:51.7.0', 2, 6, 'A'],
  ['1-0:71.7.0', 2, 6, 'A'],
  ['1-0:14.7.0', 2, 5, 'Hz'],
  ['1-0:13.7.0', 3, 5, ''],
];

/** `1-0:1.8.0` → `1.8.0`: mode C readouts carry C.D.E only (A-B are implied). */
export function shortObis(code: string): string {
  return code.slice(code.indexOf(':') + 1);
}

/** The data lines of a readout, serial number first (`0.0.0`, IEC 62056-61 device address). */
export function dataLines(serial: string, values: Readonly<Record<string, number>>): string[] {
  const lines = [`0.0.0(${serial})`];
  for (const [obis, decimals, width, unit] of FORMATS) {
    const v = values[obis];
    if (v === undefined) continue;
    const text = v.toFixed(decimals).padStart(width + (v < 0 ? 1 : 0), '0');
    lines.push(`${shortObis(obis)}(${text}${unit ? `*${unit}` : ''})`);
  }
  return lines;
}

/** STX data-lines `!` CR LF ETX BCC. */
export function readoutMessage(lines: readonly string[]): Buffer {
  const body = Buffer.from(`${lines.map((l) => l + CRLF).join('')}!${CRLF}`, 'ascii');
  const withEtx = Buffer.concat([body, Buffer.from([ETX])]);
  return Buffer.concat([Buffer.from([STX]), withEtx, Buffer.from([bcc(withEtx)])]);
}
