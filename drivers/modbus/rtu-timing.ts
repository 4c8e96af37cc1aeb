/**
 * Serial-line timing of Modbus RTU (Modbus over serial line V1.02).
 * §2.5.1: every character is 11 bits — 1 start, 8 data, 1 parity, 1 stop; without parity the
 * standard requires 2 stop bits, so 8N2, 8E1 and 8O1 all take 11 bit times. (An 8N1 line that breaks
 * the standard takes 10 bits; we keep the standard figure so bus-limit numbers are conservative.)
 * §2.5.1.1: frames are separated by at least 3.5 character times; above 19200 baud the fixed
 * value 1.75 ms is recommended.
 */
export const BITS_PER_CHAR = 11;
export const INTER_FRAME_CHARS = 3.5;
export const FIXED_T35_MS = 1.75;
export const FIXED_TIMING_ABOVE_BAUD = 19200;

export function charTimeMs(baud: number): number {
  return (BITS_PER_CHAR * 1000) / baud;
}

export function t35Ms(baud: number): number {
  return baud > FIXED_TIMING_ABOVE_BAUD ? FIXED_T35_MS : INTER_FRAME_CHARS * charTimeMs(baud);
}

/** RTU request for a register read: unit, function, address (2), quantity (2), CRC (2). */
export const READ_REQUEST_BYTES = 8;

/** RTU response to a read of `count` registers: unit, function, byte count, data, CRC (2). */
export function readResponseBytes(count: number): number {
  return 5 + 2 * count;
}

/**
 * Shortest possible time for one request/response cycle on the wire: both frames at the character
 * rate plus the t3.5 silence after each (the slave needs it to see the end of the request, the next
 * request may start only after it following the response).
 */
export function minCycleMs(baud: number, count: number): number {
  return (READ_REQUEST_BYTES + readResponseBytes(count)) * charTimeMs(baud) + 2 * t35Ms(baud);
}
