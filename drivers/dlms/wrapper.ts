import { DlmsError } from './errors.js';

/**
 * The IEC 62056-47 TCP/UDP wrapper (Green Book §7.3.3.3): version 0x0001, source wPort, destination
 * wPort, length of the APDU, then the APDU. Written from the standard (no DLMS library on npm).
 */
export const WRAPPER_HEADER = 8;
export const WRAPPER_VERSION = 1;

export interface WrapperFrame {
  readonly source: number;
  readonly destination: number;
  readonly apdu: Uint8Array;
}

export function encodeWrapper(source: number, destination: number, apdu: Uint8Array): Uint8Array {
  if (apdu.length > 0xffff) throw new DlmsError('MG_ERR_DLMS_ENCODE', `APDU of ${apdu.length} bytes`);
  const out = new Uint8Array(WRAPPER_HEADER + apdu.length);
  out[1] = WRAPPER_VERSION;
  out[2] = source >> 8;
  out[3] = source & 0xff;
  out[4] = destination >> 8;
  out[5] = destination & 0xff;
  out[6] = apdu.length >> 8;
  out[7] = apdu.length & 0xff;
  out.set(apdu, WRAPPER_HEADER);
  return out;
}

/**
 * Splits a TCP byte stream into wrapper frames. A wrong version is a framing error: the stream has
 * lost sync and cannot be resynchronised (the wrapper has no delimiter), so the caller drops it.
 */
export class WrapperSplitter {
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): WrapperFrame[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: WrapperFrame[] = [];
    let p = 0;
    while (buf.length - p >= WRAPPER_HEADER) {
      const version = (buf[p]! << 8) | buf[p + 1]!;
      if (version !== WRAPPER_VERSION)
        throw new DlmsError('MG_ERR_DLMS_FRAME', `wrapper version ${version}, expected 1`);
      const len = (buf[p + 6]! << 8) | buf[p + 7]!;
      if (buf.length - p < WRAPPER_HEADER + len) break;
      out.push({
        source: (buf[p + 2]! << 8) | buf[p + 3]!,
        destination: (buf[p + 4]! << 8) | buf[p + 5]!,
        apdu: Uint8Array.prototype.slice.call(buf, p + WRAPPER_HEADER, p + WRAPPER_HEADER + len),
      });
      p += WRAPPER_HEADER + len;
    }
    this.pending = Uint8Array.prototype.slice.call(buf, p);
    return out;
  }

  get buffered(): number {
    return this.pending.length;
  }
}

/** Decode exactly one whole wrapper frame (tests, fuzzing). */
export function decodeWrapper(bytes: Uint8Array): WrapperFrame {
  const s = new WrapperSplitter();
  const frames = s.push(bytes);
  if (frames.length !== 1 || s.buffered !== 0)
    throw new DlmsError('MG_ERR_DLMS_FRAME', `expected one wrapper frame in ${bytes.length} bytes`);
  return frames[0]!;
}
