import { DriverError } from '../errors.js';

/**
 * Read requests and responses at the PDU level (Modbus application protocol V1.1b3): §6.1 Read Coils
 * (0x01), §6.2 Read Discrete Inputs (0x02), §6.3 Read Holding Registers (0x03), §6.4 Read Input
 * Registers (0x04), §7 exception responses. Bit reads answer one 0/1 entry per bit in `registers`.
 */
export const MAX_READ_REGISTERS = 125; // §6.3: quantity 1..125 (0x7D)
export const MAX_READ_BITS = 2000; // §6.1/§6.2: quantity 1..2000 (0x7D0)
export const EXCEPTION_FLAG = 0x80;

export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export interface ReadRequest {
  /** 1..247 on a serial line; 0..255 over TCP (the unit identifier of the MBAP header). */
  readonly unitId: number;
  readonly function: 1 | 2 | 3 | 4;
  readonly address: number;
  readonly count: number;
}

export type ReadFailureKind = 'timeout' | 'exception' | 'malformed' | 'crc' | 'closed' | 'queue-full';

export type ReadResult =
  | { ok: true; registers: Uint16Array }
  | { ok: false; kind: ReadFailureKind; reason: string; exception?: number };

export function assertReadRequest(req: ReadRequest): void {
  const bad = (what: string) => {
    throw new DriverError('MG_ERR_DRIVER_REQUEST', what);
  };
  if (!Number.isInteger(req.unitId) || req.unitId < 0 || req.unitId > 255) bad(`unitId ${req.unitId}`);
  if (![1, 2, 3, 4].includes(req.function)) bad(`function ${String(req.function)}`);
  const max = isBitRead(req) ? MAX_READ_BITS : MAX_READ_REGISTERS;
  if (!Number.isInteger(req.address) || req.address < 0 || req.address > 0xffff)
    bad(`address ${req.address}`);
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > max) bad(`count ${req.count} (1..${max})`);
  if (req.address + req.count > 0x10000) bad('address + count beyond 0xFFFF');
}

/** The 5-byte request PDU: function, start address, quantity (big-endian). */
export function encodeReadPdu(req: ReadRequest): Buffer {
  assertReadRequest(req);
  const pdu = Buffer.alloc(5);
  pdu[0] = req.function;
  pdu.writeUInt16BE(req.address, 1);
  pdu.writeUInt16BE(req.count, 3);
  return pdu;
}

/** Length of the response PDU the server must send: exception = 2, data = 2 + 2·count. */
export function expectedResponsePduLength(req: ReadRequest, firstTwo: Uint8Array): number {
  return firstTwo[0] === (req.function | EXCEPTION_FLAG) ? 2 : 2 + dataBytes(req);
}

export const isBitRead = (req: { function: number }) => req.function === 1 || req.function === 2;

/** Data bytes of a normal read answer: 2 per register, or the bits packed 8 to a byte. */
export function dataBytes(req: ReadRequest): number {
  return isBitRead(req) ? Math.ceil(req.count / 8) : 2 * req.count;
}

/**
 * Checks an untrusted response PDU against the request it answers. Every mismatch is a tagged
 * failure: a short, long or inconsistent frame never yields registers.
 */
export function decodeReadResponsePdu(req: ReadRequest, pdu: Uint8Array): ReadResult {
  if (pdu.length < 2) return { ok: false, kind: 'malformed', reason: `response PDU of ${pdu.length} bytes` };
  const fn = pdu[0]!;
  if (fn === (req.function | EXCEPTION_FLAG)) {
    if (pdu.length !== 2)
      return {
        ok: false,
        kind: 'malformed',
        reason: `exception response of ${pdu.length} bytes (expected 2)`,
      };
    const code = pdu[1]!;
    return {
      ok: false,
      kind: 'exception',
      exception: code,
      reason: `exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'})`,
    };
  }
  if (fn !== req.function)
    return {
      ok: false,
      kind: 'malformed',
      reason: `function 0x${fn.toString(16)} answers 0x0${req.function}`,
    };
  const byteCount = pdu[1]!;
  const want = dataBytes(req);
  if (byteCount !== want)
    return {
      ok: false,
      kind: 'malformed',
      reason: `byte count ${byteCount} for ${req.count} ${isBitRead(req) ? 'bits' : 'registers'} (expected ${want})`,
    };
  if (pdu.length !== 2 + byteCount)
    return {
      ok: false,
      kind: 'malformed',
      reason: `response PDU of ${pdu.length} bytes (expected ${2 + byteCount})`,
    };
  const registers = new Uint16Array(req.count);
  // §6.1: coil n is bit (n mod 8) of data byte n div 8, least significant bit first.
  if (isBitRead(req)) for (let i = 0; i < req.count; i++) registers[i] = (pdu[2 + (i >> 3)]! >> (i & 7)) & 1;
  else for (let i = 0; i < req.count; i++) registers[i] = (pdu[2 + 2 * i]! << 8) | pdu[3 + 2 * i]!;
  return { ok: true, registers };
}
