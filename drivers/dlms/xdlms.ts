import { decodeData, encodeData, type DlmsData } from './axdr.js';
import { ByteReader, ByteWriter } from './bytes.js';

/**
 * xDLMS services with logical name referencing (IEC 62056-5-3 §9.3, the Green Book's ASN.1 of
 * GET/SET/ACTION, ExceptionResponse, DataNotification), encoded in A-XDR. Both directions are here,
 * so the client and the simulator share one codec. Written from the standard (no DLMS library on npm).
 */
export const TAG = {
  initiateRequest: 0x01,
  initiateResponse: 0x08,
  confirmedServiceError: 0x0e,
  dataNotification: 0x0f,
  aarq: 0x60,
  aare: 0x61,
  rlrq: 0x62,
  rlre: 0x63,
  getRequest: 0xc0,
  setRequest: 0xc1,
  eventNotification: 0xc2,
  actionRequest: 0xc3,
  getResponse: 0xc4,
  setResponse: 0xc5,
  actionResponse: 0xc7,
  exceptionResponse: 0xd8,
  generalGloCiphering: 0xdb,
  generalDedCiphering: 0xdc,
} as const;

export interface AttributeDescriptor {
  readonly classId: number;
  readonly ln: Uint8Array;
  readonly attribute: number;
}

/** Selective access (§9.3.7): selector 1 = range_descriptor, 2 = entry_descriptor for class 7. */
export interface AccessSelection {
  readonly selector: number;
  readonly parameters: DlmsData;
}

export type GetResult = { ok: true; data: DlmsData; raw: Uint8Array } | { ok: false; dar: number };

export type XdlmsApdu =
  | { kind: 'get-request-normal'; iip: number; attr: AttributeDescriptor; access?: AccessSelection }
  | { kind: 'get-request-next'; iip: number; block: number }
  | {
      kind: 'get-request-with-list';
      iip: number;
      items: { attr: AttributeDescriptor; access?: AccessSelection }[];
    }
  | {
      kind: 'set-request-normal';
      iip: number;
      attr: AttributeDescriptor;
      access?: AccessSelection;
      value: DlmsData;
    }
  | { kind: 'action-request-normal'; iip: number; attr: AttributeDescriptor; params?: DlmsData }
  | { kind: 'get-response-normal'; iip: number; result: GetResult }
  | {
      kind: 'get-response-with-datablock';
      iip: number;
      last: boolean;
      block: number;
      raw?: Uint8Array;
      dar?: number;
    }
  | { kind: 'get-response-with-list'; iip: number; results: GetResult[] }
  | { kind: 'set-response-normal'; iip: number; result: number }
  | { kind: 'action-response-normal'; iip: number; result: number; returned?: GetResult }
  | { kind: 'exception-response'; stateError: number; serviceError: number; invocationCounter?: number }
  | { kind: 'confirmed-service-error'; service: number; errorType: number; error: number }
  | { kind: 'data-notification'; longInvokeId: number; dateTime?: Uint8Array; body: DlmsData };

function writeAttr(w: ByteWriter, a: AttributeDescriptor): void {
  w.u16(a.classId).bytes(a.ln).u8(a.attribute);
}

function writeAccess(w: ByteWriter, s: AccessSelection | undefined): void {
  if (!s) {
    w.u8(0);
    return;
  }
  w.u8(1).u8(s.selector);
  encodeData(s.parameters, w);
}

function writeGetResult(w: ByteWriter, g: GetResult): void {
  if (g.ok) {
    w.u8(0);
    if (g.raw.length) w.bytes(g.raw);
    else encodeData(g.data, w);
  } else w.u8(1).u8(g.dar);
}

export function encodeXdlms(a: XdlmsApdu): Uint8Array {
  const w = new ByteWriter(64);
  switch (a.kind) {
    case 'get-request-normal':
      w.u8(TAG.getRequest).u8(1).u8(a.iip);
      writeAttr(w, a.attr);
      writeAccess(w, a.access);
      break;
    case 'get-request-next':
      w.u8(TAG.getRequest).u8(2).u8(a.iip).u32(a.block);
      break;
    case 'get-request-with-list':
      w.u8(TAG.getRequest).u8(3).u8(a.iip).axdrLength(a.items.length);
      for (const it of a.items) {
        writeAttr(w, it.attr);
        writeAccess(w, it.access);
      }
      break;
    case 'set-request-normal':
      w.u8(TAG.setRequest).u8(1).u8(a.iip);
      writeAttr(w, a.attr);
      writeAccess(w, a.access);
      encodeData(a.value, w);
      break;
    case 'action-request-normal':
      w.u8(TAG.actionRequest).u8(1).u8(a.iip);
      writeAttr(w, a.attr);
      if (a.params) encodeData(a.params, w.u8(1));
      else w.u8(0);
      break;
    case 'get-response-normal':
      w.u8(TAG.getResponse).u8(1).u8(a.iip);
      writeGetResult(w, a.result);
      break;
    case 'get-response-with-datablock':
      w.u8(TAG.getResponse)
        .u8(2)
        .u8(a.iip)
        .u8(a.last ? 1 : 0)
        .u32(a.block);
      if (a.raw) w.u8(0).axdrLength(a.raw.length).bytes(a.raw);
      else w.u8(1).u8(a.dar ?? 250);
      break;
    case 'get-response-with-list':
      w.u8(TAG.getResponse).u8(3).u8(a.iip).axdrLength(a.results.length);
      for (const r of a.results) writeGetResult(w, r);
      break;
    case 'set-response-normal':
      w.u8(TAG.setResponse).u8(1).u8(a.iip).u8(a.result);
      break;
    case 'action-response-normal':
      w.u8(TAG.actionResponse).u8(1).u8(a.iip).u8(a.result);
      if (a.returned) writeGetResult(w.u8(1), a.returned);
      else w.u8(0);
      break;
    case 'exception-response':
      w.u8(TAG.exceptionResponse).u8(a.stateError).u8(a.serviceError);
      if (a.invocationCounter !== undefined) w.u32(a.invocationCounter);
      break;
    case 'confirmed-service-error':
      w.u8(TAG.confirmedServiceError).u8(a.service).u8(a.errorType).u8(a.error);
      break;
    case 'data-notification':
      w.u8(TAG.dataNotification).u32(a.longInvokeId);
      if (a.dateTime) w.u8(a.dateTime.length).bytes(a.dateTime);
      else w.u8(0);
      encodeData(a.body, w);
      break;
  }
  return w.result();
}

function readAttr(r: ByteReader): AttributeDescriptor {
  const classId = r.u16('class id');
  const ln = r.bytes(6, 'logical name').slice();
  return { classId, ln, attribute: r.u8('attribute id') };
}

function readAccess(r: ByteReader): AccessSelection | undefined {
  if (!r.u8('access-selection flag')) return undefined;
  const selector = r.u8('access selector');
  return { selector, parameters: decodeData(r) };
}

function readGetResult(r: ByteReader): GetResult {
  const choice = r.u8('Get-Data-Result choice');
  if (choice === 1) return { ok: false, dar: r.u8('Data-Access-Result') };
  if (choice !== 0) r.fail(`Get-Data-Result choice ${choice}`);
  const start = r.pos;
  const data = decodeData(r);
  return { ok: true, data, raw: r.buf.slice(start, r.pos) };
}

/** Decode one plain xDLMS APDU; trailing bytes are an error. */
export function decodeXdlms(bytes: Uint8Array): XdlmsApdu {
  const r = new ByteReader(bytes);
  const tag = r.u8('APDU tag');
  const out = decodeBody(r, tag);
  if (r.remaining !== 0) r.fail(`${r.remaining} bytes after the ${out.kind} APDU`);
  return out;
}

function decodeBody(r: ByteReader, tag: number): XdlmsApdu {
  if (tag === TAG.exceptionResponse) {
    const stateError = r.u8('state-error');
    const serviceError = r.u8('service-error');
    // service-error 6 (invocation-counter-error) carries the expected counter (Green Book §9.5).
    const invocationCounter = serviceError === 6 && r.remaining >= 4 ? r.u32() : undefined;
    return { kind: 'exception-response', stateError, serviceError, invocationCounter };
  }
  if (tag === TAG.confirmedServiceError)
    return { kind: 'confirmed-service-error', service: r.u8(), errorType: r.u8(), error: r.u8() };
  if (tag === TAG.dataNotification) {
    const longInvokeId = r.u32('long-invoke-id-and-priority');
    const n = r.u8('date-time length');
    const dateTime = n ? r.bytes(n, 'date-time').slice() : undefined;
    return { kind: 'data-notification', longInvokeId, dateTime, body: decodeData(r) };
  }
  const choice = r.u8('service choice');
  const iip = r.u8('invoke-id-and-priority');
  const key = (tag << 8) | choice;
  switch (key) {
    case (TAG.getRequest << 8) | 1: {
      const attr = readAttr(r);
      return { kind: 'get-request-normal', iip, attr, access: readAccess(r) };
    }
    case (TAG.getRequest << 8) | 2:
      return { kind: 'get-request-next', iip, block: r.u32('block number') };
    case (TAG.getRequest << 8) | 3: {
      const n = r.axdrLength('attribute count');
      if (n > r.remaining) r.fail('attribute list longer than the APDU');
      const items = [];
      for (let i = 0; i < n; i++) {
        const attr = readAttr(r);
        items.push({ attr, access: readAccess(r) });
      }
      return { kind: 'get-request-with-list', iip, items };
    }
    case (TAG.setRequest << 8) | 1: {
      const attr = readAttr(r);
      const access = readAccess(r);
      return { kind: 'set-request-normal', iip, attr, access, value: decodeData(r) };
    }
    case (TAG.actionRequest << 8) | 1: {
      const attr = readAttr(r);
      const params = r.u8('parameters flag') ? decodeData(r) : undefined;
      return { kind: 'action-request-normal', iip, attr, params };
    }
    case (TAG.getResponse << 8) | 1:
      return { kind: 'get-response-normal', iip, result: readGetResult(r) };
    case (TAG.getResponse << 8) | 2: {
      const last = r.u8('last-block') !== 0;
      const block = r.u32('block number');
      const choice2 = r.u8('DataBlock-G result choice');
      if (choice2 === 1)
        return { kind: 'get-response-with-datablock', iip, last, block, dar: r.u8('Data-Access-Result') };
      if (choice2 !== 0) r.fail(`DataBlock-G result choice ${choice2}`);
      const raw = r.bytes(r.axdrLength('raw-data length'), 'raw-data').slice();
      return { kind: 'get-response-with-datablock', iip, last, block, raw };
    }
    case (TAG.getResponse << 8) | 3: {
      const n = r.axdrLength('result count');
      if (n > r.remaining) r.fail('result list longer than the APDU');
      const results: GetResult[] = [];
      for (let i = 0; i < n; i++) results.push(readGetResult(r));
      return { kind: 'get-response-with-list', iip, results };
    }
    case (TAG.setResponse << 8) | 1:
      return { kind: 'set-response-normal', iip, result: r.u8('Data-Access-Result') };
    case (TAG.actionResponse << 8) | 1: {
      const result = r.u8('Action-Result');
      const returned = r.remaining > 0 && r.u8('return-parameters flag') ? readGetResult(r) : undefined;
      return { kind: 'action-response-normal', iip, result, returned };
    }
    default:
      return r.fail(`unsupported APDU 0x${tag.toString(16)} choice ${choice}`);
  }
}

/** Exception-Response codes (§9.5): state-error and service-error names. */
export const STATE_ERROR: Record<number, string> = { 1: 'service-not-allowed', 2: 'service-unknown' };
export const SERVICE_ERROR: Record<number, string> = {
  1: 'operation-not-possible',
  2: 'service-not-supported',
  3: 'other-reason',
  4: 'pdu-too-long',
  5: 'deciphering-error',
  6: 'invocation-counter-error',
};
