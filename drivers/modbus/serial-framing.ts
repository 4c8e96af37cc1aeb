import { ASCII_MAX_FRAME, encodeAsciiFrame, scanAsciiExchange } from './ascii-framer.js';
import { withCrc } from './crc16.js';
import type { Exchange } from './exchange.js';
import { scanExchange, type ScanResult } from './rtu-framer.js';

export type SerialFramingName = 'rtu' | 'ascii';

/**
 * The two transmission modes of Modbus over serial line V1.02 §2.5 — RTU (binary, CRC) and ASCII
 * (hex characters, LRC) — as one shape, so a serial line (rtu-transport.ts) and a TCP socket carrying
 * serial frames (tcp-transport.ts, serial device servers) take either.
 */
export interface SerialFraming {
  readonly name: SerialFramingName;
  /** Largest frame on the wire, bytes (RTU §2.5.1: 256; ASCII §2.5.2: 513 characters). */
  readonly maxFrameBytes: number;
  encode(ex: Exchange): Buffer;
  scan(ex: Exchange, buf: Uint8Array): ScanResult;
}

export const RTU_FRAMING: SerialFraming = {
  name: 'rtu',
  maxFrameBytes: 256,
  encode: (ex) => withCrc(Buffer.concat([Buffer.from([ex.unitId]), ex.pdu])),
  scan: scanExchange,
};

export const ASCII_FRAMING: SerialFraming = {
  name: 'ascii',
  maxFrameBytes: ASCII_MAX_FRAME,
  encode: (ex) => encodeAsciiFrame(ex.unitId, ex.pdu),
  scan: scanAsciiExchange,
};

export function serialFraming(name: SerialFramingName): SerialFraming {
  return name === 'ascii' ? ASCII_FRAMING : RTU_FRAMING;
}
