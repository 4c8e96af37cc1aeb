import type { Exchange } from './exchange.js';
import { EXCEPTION_FLAG } from './pdu.js';
import type { ScanResult } from './rtu-framer.js';

/**
 * Modbus ASCII framing (Modbus over serial line V1.02 §2.5.2): a frame is ':' then every byte of
 * address, PDU and LRC as two hexadecimal characters, then CR LF. Unlike RTU it has explicit start and
 * end marks, so a frame is found without knowing its length; the length the request implies is still
 * checked so an answer meant for another request is not taken.
 */
export const ASCII_START = 0x3a; // ':'
export const ASCII_CR = 0x0d;
export const ASCII_LF = 0x0a;
/** §2.5.2.1: at most 513 characters (':' + 2 × (1 + 253 + 1) + CR LF). */
export const ASCII_MAX_FRAME = 513;

/** §6.2.1 LRC: the two's complement of the 8-bit sum of the bytes (address, PDU), no carry. */
export function lrc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + bytes[i]!) & 0xff;
  return -sum & 0xff;
}

/** ':' + hex(unit, PDU, LRC) in upper case (§2.5.2.1 "ASCII characters 0–9, A–F") + CR LF. */
export function encodeAsciiFrame(unitId: number, pdu: Uint8Array): Buffer {
  const body = Buffer.alloc(pdu.length + 2);
  body[0] = unitId;
  body.set(pdu, 1);
  body[body.length - 1] = lrc(body, 0, body.length - 1);
  return Buffer.concat([
    Buffer.from(':'),
    Buffer.from(body.toString('hex').toUpperCase()),
    Buffer.from('\r\n'),
  ]);
}

const HEX = /^(?:[0-9A-Fa-f]{2})+$/;

/**
 * Finds the answer to `ex` in the characters received since the request went out. Noise before a ':'
 * is skipped; a ':' always starts a new frame (§2.5.2.1), so a frame cut short by another ':' is
 * dropped; frames with a bad LRC (counted in `crcErrors`, the frame-check failures of either
 * framing), from another unit or of another length are skipped; without a complete answer the
 * caller waits for more characters until its timeout.
 */
export function scanAsciiExchange(ex: Exchange, buf: Uint8Array): ScanResult {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  let crcErrors = 0;
  let from = 0;
  for (;;) {
    const start = b.indexOf(ASCII_START, from);
    if (start < 0) break;
    const cr = b.indexOf(ASCII_CR, start + 1);
    if (cr < 0 || cr + 1 >= b.length) break; // still arriving
    const restart = b.indexOf(ASCII_START, start + 1);
    if (restart >= 0 && restart < cr) {
      from = restart;
      continue;
    }
    from = cr + 1;
    if (b[cr + 1] !== ASCII_LF) continue;
    const text = b.toString('latin1', start + 1, cr);
    if (!HEX.test(text)) continue;
    const bytes = Buffer.from(text, 'hex');
    if (bytes.length < 3) continue;
    if (lrc(bytes, 0, bytes.length - 1) !== bytes[bytes.length - 1]) {
      crcErrors++;
      continue;
    }
    if (bytes[0] !== ex.unitId) continue;
    const fn = bytes[1]!;
    const isException = fn === (ex.function | EXCEPTION_FLAG);
    if (fn !== ex.function && !isException) continue;
    const pduLength = isException ? 2 : ex.answerPduLength;
    if (bytes.length !== 1 + pduLength + 1) continue;
    return { status: 'complete', result: ex.decode(bytes.subarray(1, 1 + pduLength)), garbageBytes: start };
  }
  return { status: 'incomplete', crcErrors };
}
