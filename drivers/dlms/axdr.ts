import { ByteReader, ByteWriter } from './bytes.js';
import { DlmsError } from './errors.js';

/**
 * COSEM data types and their A-XDR encoding (IEC 62056-6-2 §4.1.5, Blue Book "Data" CHOICE; the
 * encoding rules are IEC 61334-6 A-XDR). Written here from the standard: there is no DLMS library
 * on npm. Each value keeps its DLMS type so it re-encodes to the same bytes.
 */
export const DATA_TAG = {
  'null-data': 0,
  array: 1,
  structure: 2,
  boolean: 3,
  'bit-string': 4,
  'double-long': 5,
  'double-long-unsigned': 6,
  'octet-string': 9,
  'visible-string': 10,
  'utf8-string': 12,
  bcd: 13,
  integer: 15,
  long: 16,
  unsigned: 17,
  'long-unsigned': 18,
  'compact-array': 19,
  long64: 20,
  'long64-unsigned': 21,
  enum: 22,
  float32: 23,
  float64: 24,
  'date-time': 25,
  date: 26,
  time: 27,
  'delta-integer': 28,
  'delta-long': 29,
  'delta-double-long': 30,
  'delta-unsigned': 31,
  'delta-long-unsigned': 32,
  'delta-double-long-unsigned': 33,
} as const;

export type DataTypeName = keyof typeof DATA_TAG;
const NAME_OF: Record<number, DataTypeName> = Object.fromEntries(
  Object.entries(DATA_TAG).map(([k, v]) => [v, k as DataTypeName]),
);

type IntName =
  | 'double-long'
  | 'double-long-unsigned'
  | 'integer'
  | 'long'
  | 'unsigned'
  | 'long-unsigned'
  | 'enum'
  | 'bcd'
  | 'delta-integer'
  | 'delta-long'
  | 'delta-double-long'
  | 'delta-unsigned'
  | 'delta-long-unsigned'
  | 'delta-double-long-unsigned';

/** Fixed-size integer types: [bytes, signed]. */
const INT_SHAPE: Record<IntName, [number, boolean]> = {
  'double-long': [4, true],
  'double-long-unsigned': [4, false],
  integer: [1, true],
  long: [2, true],
  unsigned: [1, false],
  'long-unsigned': [2, false],
  enum: [1, false],
  bcd: [1, false],
  'delta-integer': [1, true],
  'delta-long': [2, true],
  'delta-double-long': [4, true],
  'delta-unsigned': [1, false],
  'delta-long-unsigned': [2, false],
  'delta-double-long-unsigned': [4, false],
};

export type DlmsData =
  | { readonly type: 'null-data' }
  | { readonly type: 'array' | 'structure'; readonly value: readonly DlmsData[] }
  | { readonly type: 'boolean'; readonly value: boolean }
  /** Bits as '0'/'1' characters, most significant bit of the first byte first. */
  | { readonly type: 'bit-string'; readonly value: string }
  | { readonly type: IntName; readonly value: number }
  | { readonly type: 'long64' | 'long64-unsigned'; readonly value: bigint }
  | { readonly type: 'float32' | 'float64'; readonly value: number }
  | { readonly type: 'octet-string' | 'date-time' | 'date' | 'time'; readonly value: Uint8Array }
  | { readonly type: 'visible-string' | 'utf8-string'; readonly value: string }
  | {
      readonly type: 'compact-array';
      readonly description: TypeDescription;
      readonly value: readonly DlmsData[];
    };

/** Compact-array contents-description (IEC 62056-6-2 §4.1.5, TypeDescription). */
export type TypeDescription =
  | { readonly tag: number }
  | { readonly tag: 1; readonly count: number; readonly element: TypeDescription }
  | { readonly tag: 2; readonly elements: readonly TypeDescription[] };

/** Nesting deeper than this is refused: no meter needs it, and it bounds recursion on hostile input. */
const MAX_DEPTH = 32;
const FIXED_LEN: Record<number, number> = { 25: 12, 26: 5, 27: 4 };

export function decodeData(r: ByteReader, depth = 0): DlmsData {
  const tag = r.u8('data tag');
  return decodeTagged(r, tag, depth);
}

function decodeTagged(r: ByteReader, tag: number, depth: number): DlmsData {
  if (depth > MAX_DEPTH) r.fail('data nested too deeply');
  const name = NAME_OF[tag];
  if (!name) r.fail(`unknown data tag ${tag}`);
  switch (name) {
    case 'null-data':
      return { type: name };
    case 'array':
    case 'structure': {
      const n = r.axdrLength(`${name} count`);
      // Each element is at least one byte: refuse counts the remaining bytes cannot hold.
      if (n > r.remaining) r.fail(`${name} of ${n} elements in ${r.remaining} bytes`);
      const value: DlmsData[] = new Array<DlmsData>(n);
      for (let i = 0; i < n; i++) value[i] = decodeData(r, depth + 1);
      return { type: name, value };
    }
    case 'boolean':
      return { type: name, value: r.u8('boolean') !== 0 };
    case 'bit-string': {
      const bits = r.axdrLength('bit-string length');
      const bytes = r.bytes(Math.ceil(bits / 8), 'bit-string');
      let s = '';
      for (let i = 0; i < bits; i++) s += (bytes[i >> 3]! >> (7 - (i & 7))) & 1 ? '1' : '0';
      return { type: name, value: s };
    }
    case 'octet-string':
      return { type: name, value: r.bytes(r.axdrLength('octet-string length'), 'octet-string').slice() };
    case 'visible-string':
      return {
        type: name,
        value: Buffer.from(r.bytes(r.axdrLength('string length'), 'visible-string')).toString('latin1'),
      };
    case 'utf8-string':
      return {
        type: name,
        value: Buffer.from(r.bytes(r.axdrLength('string length'), 'utf8-string')).toString('utf8'),
      };
    case 'date-time':
    case 'date':
    case 'time':
      return { type: name, value: r.bytes(FIXED_LEN[tag]!, name).slice() };
    case 'long64':
    case 'long64-unsigned': {
      const b = r.bytes(8, name);
      const dv = new DataView(b.buffer, b.byteOffset, 8);
      return { type: name, value: name === 'long64' ? dv.getBigInt64(0) : dv.getBigUint64(0) };
    }
    case 'float32':
    case 'float64': {
      const n = name === 'float32' ? 4 : 8;
      const b = r.bytes(n, name);
      const dv = new DataView(b.buffer, b.byteOffset, n);
      return { type: name, value: n === 4 ? dv.getFloat32(0) : dv.getFloat64(0) };
    }
    case 'compact-array':
      return decodeCompactArray(r, depth);
    default: {
      const [size, signed] = INT_SHAPE[name];
      return { type: name, value: readInt(r, size, signed) };
    }
  }
}

function readInt(r: ByteReader, size: number, signed: boolean): number {
  if (size === 1) {
    const v = r.u8();
    return signed && v > 0x7f ? v - 0x100 : v;
  }
  if (size === 2) {
    const v = r.u16();
    return signed && v > 0x7fff ? v - 0x10000 : v;
  }
  const v = r.u32();
  return signed ? v | 0 : v;
}

function decodeTypeDescription(r: ByteReader, depth: number): TypeDescription {
  if (depth > MAX_DEPTH) r.fail('type description nested too deeply');
  const tag = r.u8('type description tag');
  if (tag === 1) {
    const count = r.u16('compact array element count');
    return { tag, count, element: decodeTypeDescription(r, depth + 1) };
  }
  if (tag === 2) {
    const n = r.axdrLength('structure description count');
    if (n > r.remaining) r.fail('structure description too long');
    const elements: TypeDescription[] = [];
    for (let i = 0; i < n; i++) elements.push(decodeTypeDescription(r, depth + 1));
    return { tag, elements };
  }
  if (!NAME_OF[tag] || tag === 19) r.fail(`unknown type description tag ${tag}`);
  return { tag };
}

/** Fewest bytes one value of a description takes; 0 would let a hostile compact array loop forever. */
function minWidth(d: TypeDescription): number {
  if ('count' in d) return d.count * minWidth(d.element);
  if ('elements' in d) return d.elements.reduce((a, e) => a + minWidth(e), 0);
  if (d.tag === 0) return 0;
  return FIXED_LEN[d.tag] ?? 1;
}

/** Data without its tag, shaped by a type description (compact-array contents). */
function decodeDescribed(r: ByteReader, d: TypeDescription, depth: number): DlmsData {
  if (depth > MAX_DEPTH) r.fail('compact array nested too deeply');
  if ('count' in d) {
    if (d.count * minWidth(d.element) > r.remaining) r.fail('compact array count exceeds contents');
    const value: DlmsData[] = [];
    for (let i = 0; i < d.count; i++) value.push(decodeDescribed(r, d.element, depth + 1));
    return { type: 'array', value };
  }
  if ('elements' in d)
    return { type: 'structure', value: d.elements.map((e) => decodeDescribed(r, e, depth + 1)) };
  return decodeTagged(r, d.tag, depth + 1);
}

function decodeCompactArray(r: ByteReader, depth: number): DlmsData {
  const description = decodeTypeDescription(r, depth + 1);
  if (minWidth(description) === 0) r.fail('compact array of zero-width elements');
  const len = r.axdrLength('compact array contents length');
  r.need(len, 'compact array contents');
  const inner = new ByteReader(r.buf, r.pos, r.pos + len);
  r.pos += len;
  const value: DlmsData[] = [];
  while (inner.remaining > 0) value.push(decodeDescribed(inner, description, depth + 1));
  return { type: 'compact-array', description, value };
}

/** Decode one Data value that must fill `bytes` exactly. */
export function decodeDataBytes(bytes: Uint8Array): DlmsData {
  const r = new ByteReader(bytes);
  const v = decodeData(r);
  if (r.remaining !== 0) r.fail(`${r.remaining} bytes after the data`);
  return v;
}

export function encodeData(v: DlmsData, w: ByteWriter = new ByteWriter()): ByteWriter {
  const tag = DATA_TAG[v.type];
  w.u8(tag);
  encodeUntagged(v, w);
  return w;
}

function encodeUntagged(v: DlmsData, w: ByteWriter): void {
  switch (v.type) {
    case 'null-data':
      return;
    case 'array':
    case 'structure':
      w.axdrLength(v.value.length);
      for (const x of v.value) encodeData(x, w);
      return;
    case 'boolean':
      w.u8(v.value ? 1 : 0);
      return;
    case 'bit-string': {
      if (!/^[01]*$/.test(v.value)) throw new DlmsError('MG_ERR_DLMS_ENCODE', 'bit-string must be 0/1');
      const bytes = new Uint8Array(Math.ceil(v.value.length / 8));
      for (let i = 0; i < v.value.length; i++) if (v.value[i] === '1') bytes[i >> 3]! |= 0x80 >> (i & 7);
      w.axdrLength(v.value.length).bytes(bytes);
      return;
    }
    case 'octet-string':
      w.axdrLength(v.value.length).bytes(v.value);
      return;
    case 'visible-string': {
      const b = Buffer.from(v.value, 'latin1');
      w.axdrLength(b.length).bytes(b);
      return;
    }
    case 'utf8-string': {
      const b = Buffer.from(v.value, 'utf8');
      w.axdrLength(b.length).bytes(b);
      return;
    }
    case 'date-time':
    case 'date':
    case 'time':
      if (v.value.length !== FIXED_LEN[DATA_TAG[v.type]])
        throw new DlmsError('MG_ERR_DLMS_ENCODE', `${v.type} must be ${FIXED_LEN[DATA_TAG[v.type]]} bytes`);
      w.bytes(v.value);
      return;
    case 'long64':
    case 'long64-unsigned': {
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      if (v.type === 'long64') dv.setBigInt64(0, v.value);
      else dv.setBigUint64(0, v.value);
      w.bytes(b);
      return;
    }
    case 'float32':
    case 'float64': {
      const b = new Uint8Array(v.type === 'float32' ? 4 : 8);
      const dv = new DataView(b.buffer);
      if (v.type === 'float32') dv.setFloat32(0, v.value);
      else dv.setFloat64(0, v.value);
      w.bytes(b);
      return;
    }
    case 'compact-array':
      throw new DlmsError('MG_ERR_DLMS_ENCODE', 'compact-array encoding is not supported');
    default: {
      const [size, signed] = INT_SHAPE[v.type];
      const min = signed ? -(2 ** (size * 8 - 1)) : 0;
      const max = signed ? 2 ** (size * 8 - 1) - 1 : 2 ** (size * 8) - 1;
      if (!Number.isInteger(v.value) || v.value < min || v.value > max)
        throw new DlmsError('MG_ERR_DLMS_ENCODE', `${v.type} out of range: ${v.value}`);
      if (size === 1) w.u8(v.value);
      else if (size === 2) w.u16(v.value & 0xffff);
      else w.u32(v.value >>> 0);
    }
  }
}

export function encodeDataBytes(v: DlmsData): Uint8Array {
  return encodeData(v).result();
}

/** Short constructors used by the client and the simulator. */
export const D = {
  null: (): DlmsData => ({ type: 'null-data' }),
  bool: (value: boolean): DlmsData => ({ type: 'boolean', value }),
  int: (type: IntName, value: number): DlmsData => ({ type, value }),
  u8: (value: number): DlmsData => ({ type: 'unsigned', value }),
  u16: (value: number): DlmsData => ({ type: 'long-unsigned', value }),
  u32: (value: number): DlmsData => ({ type: 'double-long-unsigned', value }),
  i8: (value: number): DlmsData => ({ type: 'integer', value }),
  i16: (value: number): DlmsData => ({ type: 'long', value }),
  i32: (value: number): DlmsData => ({ type: 'double-long', value }),
  enum: (value: number): DlmsData => ({ type: 'enum', value }),
  octets: (value: Uint8Array): DlmsData => ({ type: 'octet-string', value }),
  struct: (...value: DlmsData[]): DlmsData => ({ type: 'structure', value }),
  array: (value: DlmsData[]): DlmsData => ({ type: 'array', value }),
  u64: (value: bigint): DlmsData => ({ type: 'long64-unsigned', value }),
};
