import { crcValid } from './crc16.js';
import { readExchange, type Exchange } from './exchange.js';
import { EXCEPTION_FLAG, type ReadRequest, type ReadResult } from './pdu.js';

export type ScanResult =
  | { status: 'complete'; result: ReadResult; garbageBytes: number }
  | { status: 'incomplete'; crcErrors: number };

/**
 * Finds the response to `req` in the bytes received since the request went out. RTU frames carry no
 * length or start marker, so the only trustworthy anchor is unit id + function + a valid CRC over the
 * length the request implies (Modbus over serial line V1.02 §2.5.1.2). Noise before the reply,
 * replies from other units and frames with a bad CRC are skipped; without a complete valid frame the
 * caller waits for more bytes until its timeout.
 */
export function scanRtuResponse(req: ReadRequest, buf: Uint8Array): ScanResult {
  return scanExchange(readExchange(req), buf);
}

/** The same for any exchange (reads, writes): the answer length comes from the request. */
export function scanExchange(ex: Exchange, buf: Uint8Array): ScanResult {
  let crcErrors = 0;
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] !== ex.unitId) continue;
    const fn = buf[i + 1]!;
    const isException = fn === (ex.function | EXCEPTION_FLAG);
    if (fn !== ex.function && !isException) continue;
    const length = isException ? 5 : 3 + ex.answerPduLength;
    // Still arriving (or noise that looks like a header): a later, complete frame may still win.
    if (i + length > buf.length) continue;
    if (!crcValid(buf, i, i + length)) {
      crcErrors++;
      continue;
    }
    const pdu = buf.subarray(i + 1, i + length - 2);
    return { status: 'complete', result: ex.decode(pdu), garbageBytes: i };
  }
  return { status: 'incomplete', crcErrors };
}
