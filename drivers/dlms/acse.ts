import { ByteReader, ByteWriter } from './bytes.js';
import { DlmsError } from './errors.js';

/**
 * ACSE APDUs of the DLMS/COSEM association (Green Book §9.4.2, ISO/IEC 8650 subset, BER encoded):
 * AARQ [APPLICATION 0], AARE [APPLICATION 1], RLRQ [APPLICATION 2], RLRE [APPLICATION 3]; and the
 * xDLMS InitiateRequest/Response they carry in user-information (A-XDR, IEC 62056-5-3 §8.3).
 * Written from the standards (no DLMS library on npm).
 */
const APP_CONTEXT_PREFIX = [0x60, 0x85, 0x74, 0x05, 0x08, 0x01];
const MECHANISM_PREFIX = [0x60, 0x85, 0x74, 0x05, 0x08, 0x02];

/** Application context names: 1 = LN, 3 = LN with ciphering. */
export const CONTEXT_LN = 1;
export const CONTEXT_LN_CIPHERED = 3;
/** Mechanism names: 1 = LLS, 2 = HLS (manufacturer), 5 = HLS GMAC. */
export const MECHANISM_LLS = 1;
export const MECHANISM_HLS_GMAC = 5;

export interface Aarq {
  readonly context: number;
  readonly callingApTitle?: Uint8Array;
  readonly mechanism?: number;
  readonly authValue?: Uint8Array;
  /** The xDLMS APDU of user-information (InitiateRequest, or glo-initiate-request 0x21). */
  readonly userInformation?: Uint8Array;
}

export interface Aare {
  readonly context: number;
  /** 0 accepted, 1 rejected-permanent, 2 rejected-transient. */
  readonly result: number;
  /** 1 acse-service-user, 2 acse-service-provider. */
  readonly diagnosticSource: number;
  readonly diagnostic: number;
  readonly respondingApTitle?: Uint8Array;
  readonly mechanism?: number;
  readonly authValue?: Uint8Array;
  readonly userInformation?: Uint8Array;
}

export interface Release {
  readonly reason?: number;
  readonly userInformation?: Uint8Array;
}

/** Diagnostics of acse-service-user (§9.4.2.2.3): 13 authentication-failure, 14 -required. */
export const DIAG_AUTH_FAILURE = 13;
export const DIAG_AUTH_REQUIRED = 14;
export const DIAG_CONTEXT_NOT_SUPPORTED = 2;
export const DIAG_MECHANISM_NOT_RECOGNISED = 11;

function berLength(w: ByteWriter, n: number): void {
  if (n < 0x80) w.u8(n);
  else if (n < 0x100) w.u8(0x81).u8(n);
  else w.u8(0x82).u16(n);
}

function tlv(w: ByteWriter, tag: number, value: Uint8Array | number[]): void {
  w.u8(tag);
  berLength(w, value.length);
  w.bytes(value);
}

function wrapOctets(tag: number, inner: number, v: Uint8Array): Uint8Array {
  const w = new ByteWriter(v.length + 4);
  tlv(w, inner, v);
  const o = new ByteWriter(v.length + 8);
  tlv(o, tag, w.result());
  return o.result();
}

function berReadLength(r: ByteReader): number {
  const first = r.u8('BER length');
  if (first < 0x80) return first;
  const n = first & 0x7f;
  if (n === 0 || n > 2) r.fail('unsupported BER length');
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + r.u8('BER length');
  return v;
}

/** The fields of a constructed APDU as tag → value bytes. */
function readFields(bytes: Uint8Array, expected: number): Map<number, Uint8Array> {
  const r = new ByteReader(bytes);
  const tag = r.u8('ACSE tag');
  if (tag !== expected) r.fail(`ACSE APDU tag 0x${tag.toString(16)}, expected 0x${expected.toString(16)}`);
  const len = berReadLength(r);
  r.need(len, 'ACSE APDU body');
  const end = r.pos + len;
  const fields = new Map<number, Uint8Array>();
  const inner = new ByteReader(bytes, r.pos, end);
  while (inner.remaining > 0) {
    const t = inner.u8('field tag');
    const l = berReadLength(inner);
    fields.set(t, inner.bytes(l, `field 0x${t.toString(16)}`));
  }
  return fields;
}

function oidTail(v: Uint8Array | undefined, prefix: number[], what: string): number | undefined {
  if (!v) return undefined;
  // Application context is [1] { OBJECT IDENTIFIER }; the mechanism name is [11] IMPLICIT OID.
  const oid = v[0] === 0x06 ? v.subarray(2, 2 + v[1]!) : v;
  if (oid.length !== 7 || prefix.some((b, i) => oid[i] !== b))
    throw new DlmsError('MG_ERR_DLMS_DECODE', `${what} is not a DLMS UA object identifier`);
  return oid[6]!;
}

/** [n] { OCTET STRING } or [n] { CHOICE [0] charstring } — take the inner value. */
function innerValue(v: Uint8Array | undefined, what: string): Uint8Array | undefined {
  if (!v) return undefined;
  const r = new ByteReader(v);
  r.u8(`${what} tag`);
  const l = berReadLength(r);
  return r.bytes(l, what).slice();
}

function smallInt(v: Uint8Array | undefined, what: string): number | undefined {
  if (!v) return undefined;
  const r = new ByteReader(v);
  // [n] { INTEGER } or [n] { CHOICE [m] { INTEGER } } (result-source-diagnostic).
  let t = r.u8(what);
  let l = berReadLength(r);
  if (t === 0xa1 || t === 0xa2) {
    t = r.u8(what);
    l = berReadLength(r);
  }
  if (t !== 0x02 || l < 1 || l > 2) r.fail(`${what} is not a small INTEGER`);
  let n = 0;
  for (let i = 0; i < l; i++) n = n * 256 + r.u8(what);
  return n;
}

export function encodeAarq(a: Aarq): Uint8Array {
  const w = new ByteWriter(128);
  tlv(w, 0xa1, [0x06, 0x07, ...APP_CONTEXT_PREFIX, a.context]);
  if (a.callingApTitle) w.bytes(wrapOctets(0xa6, 0x04, a.callingApTitle));
  if (a.mechanism !== undefined) {
    tlv(w, 0x8a, [0x07, 0x80]); // sender-acse-requirements: authentication
    tlv(w, 0x8b, [...MECHANISM_PREFIX, a.mechanism]);
    if (a.authValue) w.bytes(wrapOctets(0xac, 0x80, a.authValue));
  }
  if (a.userInformation) w.bytes(wrapOctets(0xbe, 0x04, a.userInformation));
  const body = w.result();
  const o = new ByteWriter(body.length + 4);
  tlv(o, 0x60, body);
  return o.result();
}

export function decodeAarq(bytes: Uint8Array): Aarq {
  const f = readFields(bytes, 0x60);
  const context = oidTail(f.get(0xa1), APP_CONTEXT_PREFIX, 'application context name');
  if (context === undefined) throw new DlmsError('MG_ERR_DLMS_DECODE', 'AARQ without application context');
  return {
    context,
    callingApTitle: innerValue(f.get(0xa6), 'calling-AP-title'),
    mechanism: oidTail(f.get(0x8b), MECHANISM_PREFIX, 'mechanism name'),
    authValue: innerValue(f.get(0xac), 'calling-authentication-value'),
    userInformation: innerValue(f.get(0xbe), 'user-information'),
  };
}

export function encodeAare(a: Aare): Uint8Array {
  const w = new ByteWriter(128);
  tlv(w, 0xa1, [0x06, 0x07, ...APP_CONTEXT_PREFIX, a.context]);
  tlv(w, 0xa2, [0x02, 0x01, a.result]);
  tlv(w, 0xa3, [a.diagnosticSource === 2 ? 0xa2 : 0xa1, 0x03, 0x02, 0x01, a.diagnostic]);
  if (a.respondingApTitle) w.bytes(wrapOctets(0xa4, 0x04, a.respondingApTitle));
  if (a.mechanism !== undefined) {
    tlv(w, 0x88, [0x07, 0x80]);
    tlv(w, 0x89, [...MECHANISM_PREFIX, a.mechanism]);
    if (a.authValue) w.bytes(wrapOctets(0xaa, 0x80, a.authValue));
  }
  if (a.userInformation) w.bytes(wrapOctets(0xbe, 0x04, a.userInformation));
  const body = w.result();
  const o = new ByteWriter(body.length + 4);
  tlv(o, 0x61, body);
  return o.result();
}

export function decodeAare(bytes: Uint8Array): Aare {
  const f = readFields(bytes, 0x61);
  const context = oidTail(f.get(0xa1), APP_CONTEXT_PREFIX, 'application context name');
  const result = smallInt(f.get(0xa2), 'association result');
  const diag = f.get(0xa3);
  if (context === undefined || result === undefined || !diag)
    throw new DlmsError('MG_ERR_DLMS_DECODE', 'AARE without context, result or diagnostic');
  return {
    context,
    result,
    diagnosticSource: diag[0] === 0xa2 ? 2 : 1,
    diagnostic: smallInt(diag, 'result-source-diagnostic') ?? 0,
    respondingApTitle: innerValue(f.get(0xa4), 'responding-AP-title'),
    mechanism: oidTail(f.get(0x89), MECHANISM_PREFIX, 'mechanism name'),
    authValue: innerValue(f.get(0xaa), 'responding-authentication-value'),
    userInformation: innerValue(f.get(0xbe), 'user-information'),
  };
}

function encodeRelease(tag: number, r: Release): Uint8Array {
  const w = new ByteWriter(64);
  if (r.reason !== undefined) tlv(w, 0x80, [r.reason]);
  if (r.userInformation) w.bytes(wrapOctets(0xbe, 0x04, r.userInformation));
  const body = w.result();
  const o = new ByteWriter(body.length + 4);
  tlv(o, tag, body);
  return o.result();
}

function decodeRelease(tag: number, bytes: Uint8Array): Release {
  const f = readFields(bytes, tag);
  const reason = f.get(0x80);
  return { reason: reason?.[0], userInformation: innerValue(f.get(0xbe), 'user-information') };
}

export const encodeRlrq = (r: Release) => encodeRelease(0x62, r);
export const encodeRlre = (r: Release) => encodeRelease(0x63, r);
export const decodeRlrq = (b: Uint8Array) => decodeRelease(0x62, b);
export const decodeRlre = (b: Uint8Array) => decodeRelease(0x63, b);

/** xDLMS InitiateRequest (IEC 62056-5-3 §8.3, tag 1). */
export interface InitiateRequest {
  readonly dedicatedKey?: Uint8Array;
  readonly version: number;
  readonly conformance: number;
  readonly maxPduSize: number;
}

export interface InitiateResponse {
  readonly version: number;
  readonly conformance: number;
  readonly maxPduSize: number;
  readonly vaaName: number;
}

function conformanceBytes(w: ByteWriter, c: number): void {
  // [APPLICATION 31] IMPLICIT BIT STRING (SIZE(24)), BER: 5F 1F, length 4, 0 unused bits.
  w.bytes([0x5f, 0x1f, 0x04, 0x00])
    .u8(c >> 16)
    .u8(c >> 8)
    .u8(c);
}

function readConformance(r: ByteReader): number {
  if (r.u8('conformance tag') !== 0x5f || r.u8('conformance tag') !== 0x1f) r.fail('conformance block tag');
  if (r.u8('conformance length') !== 4) r.fail('conformance block length');
  r.u8('unused bits');
  return (r.u8() << 16) | (r.u8() << 8) | r.u8();
}

export function encodeInitiateRequest(i: InitiateRequest): Uint8Array {
  const w = new ByteWriter(32).u8(0x01);
  if (i.dedicatedKey) w.u8(1).axdrLength(i.dedicatedKey.length).bytes(i.dedicatedKey);
  else w.u8(0);
  w.u8(0).u8(0).u8(i.version); // response-allowed default, no quality of service
  conformanceBytes(w, i.conformance);
  return w.u16(i.maxPduSize).result();
}

export function decodeInitiateRequest(bytes: Uint8Array): InitiateRequest {
  const r = new ByteReader(bytes);
  if (r.u8('InitiateRequest tag') !== 0x01) r.fail('not an InitiateRequest');
  let dedicatedKey: Uint8Array | undefined;
  if (r.u8('dedicated-key flag')) dedicatedKey = r.bytes(r.axdrLength('dedicated key length')).slice();
  if (r.u8('response-allowed flag')) r.u8('response-allowed');
  if (r.u8('quality-of-service flag')) r.u8('quality-of-service');
  const version = r.u8('dlms version');
  const conformance = readConformance(r);
  const maxPduSize = r.u16('max receive pdu size');
  return { dedicatedKey, version, conformance, maxPduSize };
}

export function encodeInitiateResponse(i: InitiateResponse): Uint8Array {
  const w = new ByteWriter(32).u8(0x08).u8(0).u8(i.version);
  conformanceBytes(w, i.conformance);
  return w.u16(i.maxPduSize).u16(i.vaaName).result();
}

export function decodeInitiateResponse(bytes: Uint8Array): InitiateResponse {
  const r = new ByteReader(bytes);
  if (r.u8('InitiateResponse tag') !== 0x08) r.fail('not an InitiateResponse');
  if (r.u8('quality-of-service flag')) r.u8('quality-of-service');
  const version = r.u8('dlms version');
  const conformance = readConformance(r);
  return { version, conformance, maxPduSize: r.u16('max pdu size'), vaaName: r.u16('vaa-name') };
}

/** Conformance block bit names (IEC 62056-5-3 §8.3, bit 0 = most significant of 24). */
export const CONFORMANCE_BITS = [
  'reserved-zero',
  'general-protection',
  'general-block-transfer',
  'read',
  'write',
  'unconfirmed-write',
  'delta-value-encoding',
  'reserved-seven',
  'attribute0-supported-with-set',
  'priority-mgmt-supported',
  'attribute0-supported-with-get',
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'information-report',
  'data-notification',
  'access',
  'parameterized-access',
  'get',
  'set',
  'selective-access',
  'event-notification',
  'action',
] as const;

export function conformanceNames(c: number): string[] {
  return CONFORMANCE_BITS.filter((_, i) => (c >> (23 - i)) & 1);
}

export function conformanceBit(name: (typeof CONFORMANCE_BITS)[number]): number {
  return 1 << (23 - CONFORMANCE_BITS.indexOf(name));
}
