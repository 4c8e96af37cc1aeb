import { ByteReader } from './bytes.js';
import { DlmsError } from './errors.js';

/**
 * HDLC frames of IEC 62056-46 (Green Book §8.4): frame format type 3, opening/closing flag 0x7E,
 * 11-bit frame length, segmentation bit, extended addresses (LSB = 1 marks the last address byte),
 * HCS over the header and FCS over the whole frame, both CRC-16/X-25 sent low byte first
 * (§8.4.1.5, the FCS of ISO/IEC 13239). Written from the standard (no DLMS library on npm).
 */
export const FLAG = 0x7e;

/** CRC-16/X-25: reflected poly 0x1021 (0x8408), init 0xFFFF, final xor 0xFFFF. */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16x25(b: Uint8Array, start = 0, end = b.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ b[i]!) & 0xff]!;
  return crc ^ 0xffff;
}

export interface HdlcAddress {
  readonly upper: number;
  readonly lower?: number;
  /** Bytes on the wire: 1, 2 or 4 (§8.4.2.2). */
  readonly size: 1 | 2 | 4;
}

export type HdlcKind = 'i' | 'rr' | 'rnr' | 'snrm' | 'disc' | 'ua' | 'dm' | 'frmr' | 'ui';

export interface HdlcFrame {
  readonly destination: HdlcAddress;
  readonly source: HdlcAddress;
  readonly kind: HdlcKind;
  readonly poll: boolean;
  /** N(S) of I-frames, N(R) of I and S frames. */
  readonly ns: number;
  readonly nr: number;
  readonly segmented: boolean;
  readonly info: Uint8Array;
}

const U_CODES: Record<number, HdlcKind> = {
  0x83: 'snrm',
  0x43: 'disc',
  0x63: 'ua',
  0x0f: 'dm',
  0x87: 'frmr',
  0x03: 'ui',
};
const U_BYTES: Partial<Record<HdlcKind, number>> = {
  snrm: 0x83,
  disc: 0x43,
  ua: 0x63,
  dm: 0x0f,
  frmr: 0x87,
  ui: 0x03,
};

export function encodeAddress(a: HdlcAddress): number[] {
  const max = a.size === 1 ? 0x7f : a.size === 2 ? 0x7f : 0x3fff;
  if (a.upper < 0 || a.upper > max || (a.lower ?? 0) < 0 || (a.lower ?? 0) > max)
    throw new DlmsError(
      'MG_ERR_DLMS_USAGE',
      `HDLC address ${a.upper}/${a.lower ?? '-'} does not fit ${a.size} bytes`,
    );
  if (a.size === 1) return [(a.upper << 1) | 1];
  const lower = a.lower ?? 0;
  if (a.size === 2) return [a.upper << 1, (lower << 1) | 1];
  return [(a.upper >> 7) << 1, (a.upper & 0x7f) << 1, (lower >> 7) << 1, ((lower & 0x7f) << 1) | 1];
}

function decodeAddress(r: ByteReader): HdlcAddress {
  const v: number[] = [];
  for (;;) {
    const b = r.u8('HDLC address');
    v.push(b >> 1);
    if (b & 1) break;
    if (v.length >= 4) r.fail('HDLC address longer than 4 bytes');
  }
  if (v.length === 1) return { upper: v[0]!, size: 1 };
  if (v.length === 2) return { upper: v[0]!, lower: v[1]!, size: 2 };
  if (v.length === 4) return { upper: (v[0]! << 7) | v[1]!, lower: (v[2]! << 7) | v[3]!, size: 4 };
  return r.fail(`HDLC address of ${v.length} bytes`);
}

export interface EncodeFrameOptions {
  destination: HdlcAddress;
  source: HdlcAddress;
  kind: HdlcKind;
  poll?: boolean;
  ns?: number;
  nr?: number;
  segmented?: boolean;
  info?: Uint8Array;
}

export function controlByte(o: Pick<EncodeFrameOptions, 'kind' | 'poll' | 'ns' | 'nr'>): number {
  const pf = o.poll === false ? 0 : 0x10;
  if (o.kind === 'i') return (((o.nr ?? 0) & 7) << 5) | pf | (((o.ns ?? 0) & 7) << 1);
  if (o.kind === 'rr') return (((o.nr ?? 0) & 7) << 5) | pf | 0x01;
  if (o.kind === 'rnr') return (((o.nr ?? 0) & 7) << 5) | pf | 0x05;
  return U_BYTES[o.kind]! | pf;
}

export function encodeFrame(o: EncodeFrameOptions): Uint8Array {
  const dst = encodeAddress(o.destination);
  const src = encodeAddress(o.source);
  const info = o.info ?? new Uint8Array(0);
  const header = 2 + dst.length + src.length + 1;
  const length = header + (info.length ? 2 + info.length : 0) + 2;
  if (length > 0x7ff) throw new DlmsError('MG_ERR_DLMS_ENCODE', `HDLC frame of ${length} bytes`);
  const f = new Uint8Array(length + 2);
  f[0] = FLAG;
  f[1] = 0xa0 | (o.segmented ? 0x08 : 0) | (length >> 8);
  f[2] = length & 0xff;
  f.set(dst, 3);
  f.set(src, 3 + dst.length);
  f[1 + header - 1] = controlByte(o);
  let p = 1 + header;
  if (info.length) {
    const hcs = crc16x25(f, 1, p);
    f[p++] = hcs & 0xff;
    f[p++] = hcs >> 8;
    f.set(info, p);
    p += info.length;
  }
  const fcs = crc16x25(f, 1, p);
  f[p++] = fcs & 0xff;
  f[p++] = fcs >> 8;
  f[p] = FLAG;
  return f;
}

/** Decode the bytes between the flags (format field .. FCS), checking HCS and FCS. */
export function decodeFrameBody(b: Uint8Array, start: number, end: number): HdlcFrame {
  const r = new ByteReader(b, start, end, 'MG_ERR_DLMS_FRAME');
  const format = r.u16('frame format');
  if (format >> 12 !== 0xa) r.fail(`frame format type ${format >> 12}, expected 3 (0xA)`);
  const length = format & 0x7ff;
  if (length !== end - start) r.fail(`frame length ${length} but ${end - start} bytes`);
  const fcs = crc16x25(b, start, end - 2);
  if (fcs !== (b[end - 2]! | (b[end - 1]! << 8)))
    throw new DlmsError('MG_ERR_DLMS_CRC', `FCS mismatch in a ${length}-byte frame`);
  const destination = decodeAddress(r);
  const source = decodeAddress(r);
  const c = r.u8('control');
  const poll = (c & 0x10) !== 0;
  let kind: HdlcKind;
  let ns = 0;
  let nr = 0;
  if ((c & 1) === 0) {
    kind = 'i';
    ns = (c >> 1) & 7;
    nr = c >> 5;
  } else if ((c & 3) === 1) {
    const s = c & 0x0f;
    if (s !== 0x01 && s !== 0x05) r.fail(`supervisory frame 0x${c.toString(16)}`);
    kind = s === 1 ? 'rr' : 'rnr';
    nr = c >> 5;
  } else {
    kind = U_CODES[c & 0xef] ?? r.fail(`unknown control field 0x${c.toString(16)}`);
  }
  let info = new Uint8Array(0);
  const infoStart = r.pos + 2;
  if (end - 2 > r.pos) {
    r.need(2, 'HCS');
    const hcs = crc16x25(b, start, r.pos);
    if (hcs !== (b[r.pos]! | (b[r.pos + 1]! << 8))) throw new DlmsError('MG_ERR_DLMS_CRC', 'HCS mismatch');
    if (infoStart > end - 2) r.fail('HCS without an information field');
    info = b.slice(infoStart, end - 2);
  }
  return { destination, source, kind, poll, ns, nr, segmented: (format & 0x0800) !== 0, info };
}

/** Decode exactly one whole frame including both flags. */
export function decodeFrame(b: Uint8Array): HdlcFrame {
  if (b.length < 9 || b[0] !== FLAG || b[b.length - 1] !== FLAG)
    throw new DlmsError('MG_ERR_DLMS_FRAME', 'an HDLC frame starts and ends with 0x7E');
  return decodeFrameBody(b, 1, b.length - 1);
}

export type SplitResult = { ok: true; frame: HdlcFrame; bytes: Uint8Array } | { ok: false; error: DlmsError };

/**
 * Splits a byte stream into HDLC frames by the format field's length (the recorded peers never
 * byte-stuff; type 3 frames are length-delimited). Garbage between frames is skipped; a frame with a
 * bad check sequence is reported (the link layer then simply does not acknowledge it).
 */
export class HdlcSplitter {
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): SplitResult[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: SplitResult[] = [];
    let i = 0;
    while (i < buf.length) {
      if (buf[i] !== FLAG) {
        i++;
        continue;
      }
      if (i + 3 > buf.length) break;
      const f1 = buf[i + 1]!;
      if (f1 === FLAG || f1 >> 4 !== 0xa) {
        i++;
        continue;
      }
      const len = ((f1 & 0x07) << 8) | buf[i + 2]!;
      if (len < 7) {
        i++;
        continue;
      }
      if (i + len + 2 > buf.length) break;
      if (buf[i + len + 1] !== FLAG) {
        i++;
        continue;
      }
      try {
        const frame = decodeFrameBody(buf, i + 1, i + len + 1);
        out.push({ ok: true, frame, bytes: Uint8Array.prototype.slice.call(buf, i, i + len + 2) });
      } catch (err) {
        out.push({
          ok: false,
          error: err instanceof DlmsError ? err : new DlmsError('MG_ERR_DLMS_FRAME', String(err)),
        });
      }
      i += len + 1; // the closing flag may open the next frame
    }
    this.pending = Uint8Array.prototype.slice.call(buf, i);
    if (this.pending.length > 4096) this.pending = new Uint8Array(0);
    return out;
  }
}

/** HDLC parameter negotiation (§8.4.5.3.2): format 0x81, group 0x80, then id-length-value. */
export interface HdlcParameters {
  maxInfoTx: number;
  maxInfoRx: number;
  windowTx: number;
  windowRx: number;
}

export const DEFAULT_HDLC_PARAMETERS: HdlcParameters = {
  maxInfoTx: 128,
  maxInfoRx: 128,
  windowTx: 1,
  windowRx: 1,
};

export function encodeParameters(p: HdlcParameters): Uint8Array {
  const body: number[] = [];
  const put = (id: number, v: number, size: number) => {
    body.push(id, size);
    for (let k = size - 1; k >= 0; k--) body.push((v >>> (8 * k)) & 0xff);
  };
  put(0x05, p.maxInfoTx, p.maxInfoTx > 0xff ? 2 : 1);
  put(0x06, p.maxInfoRx, p.maxInfoRx > 0xff ? 2 : 1);
  put(0x07, p.windowTx, 4);
  put(0x08, p.windowRx, 4);
  return Uint8Array.from([0x81, 0x80, body.length, ...body]);
}

export function decodeParameters(
  info: Uint8Array,
  defaults: HdlcParameters = DEFAULT_HDLC_PARAMETERS,
): HdlcParameters {
  const out = { ...defaults };
  if (info.length === 0) return out;
  const r = new ByteReader(info, 0, info.length, 'MG_ERR_DLMS_FRAME');
  if (r.u8('format identifier') !== 0x81) r.fail('HDLC parameters must start with 0x81');
  if (r.u8('group identifier') !== 0x80) r.fail('HDLC parameter group must be 0x80');
  const len = r.u8('group length');
  const end = r.pos + len;
  r.need(len, 'parameter group');
  while (r.pos < end) {
    const id = r.u8('parameter id');
    const n = r.u8('parameter length');
    if (n > 4) r.fail(`parameter ${id} of ${n} bytes`);
    let v = 0;
    for (let k = 0; k < n; k++) v = v * 256 + r.u8('parameter value');
    if (id === 0x05) out.maxInfoTx = v;
    else if (id === 0x06) out.maxInfoRx = v;
    else if (id === 0x07) out.windowTx = v;
    else if (id === 0x08) out.windowRx = v;
  }
  return out;
}

/** LLC headers (§8.3): destination LSAP 0xE6, source 0xE6 (command) or 0xE7 (response), quality 0. */
export const LLC_REQUEST = Uint8Array.from([0xe6, 0xe6, 0x00]);
export const LLC_RESPONSE = Uint8Array.from([0xe6, 0xe7, 0x00]);
