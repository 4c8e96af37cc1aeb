/**
 * RTU character and silence times — "MODBUS over Serial Line V1.02" §2.5.1.1: a character is
 * start + 8 data + parity + stop bits (11 with parity, or 10 with no parity and one stop bit);
 * frames are separated by 3.5 character times of silence, fixed at 1.75 ms above 19200 baud.
 */
export const T35_FIXED_MS = 1.75;
export const T35_FIXED_ABOVE_BAUD = 19200;

export interface LineSettings {
  readonly baud: number;
  readonly parity?: 'none' | 'even' | 'odd';
  readonly stopBits?: 1 | 2;
}

export function bitsPerChar(s: LineSettings): number {
  return 1 + 8 + ((s.parity ?? 'none') === 'none' ? 0 : 1) + (s.stopBits ?? 1);
}

export function charTimeMs(s: LineSettings): number {
  return (bitsPerChar(s) * 1000) / s.baud;
}

export function t35Ms(s: LineSettings): number {
  return s.baud > T35_FIXED_ABOVE_BAUD ? T35_FIXED_MS : 3.5 * charTimeMs(s);
}

/**
 * The bus's physical limit for one request/response exchange: both frames on the wire plus the
 * 3.5-character silence after each (the next request may only start after the second).
 */
export function exchangeTimeMs(s: LineSettings, requestBytes: number, responseBytes: number): number {
  return (requestBytes + responseBytes) * charTimeMs(s) + 2 * t35Ms(s);
}
