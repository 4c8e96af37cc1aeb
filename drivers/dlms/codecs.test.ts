import { describe, expect, it } from 'vitest';
import {
  decodeAare,
  decodeAarq,
  decodeInitiateResponse,
  encodeAare,
  encodeAarq,
  encodeInitiateRequest,
} from './acse.js';
import { decodeDataBytes, encodeDataBytes, type DlmsData } from './axdr.js';
import { fromHex, hex } from './bytes.js';
import { dateTimeToIso, encodeDateTime } from './date-time.js';
import { DlmsError } from './errors.js';
import { crc16x25, decodeFrame, decodeParameters, encodeFrame, encodeParameters } from './hdlc-frame.js';
import { parseObjectRef } from './obis.js';
import {
  decodeCiphered,
  encodeServiceCiphering,
  gmacResponse,
  protect,
  unprotect,
  verifyGmacResponse,
} from './security.js';
import { byEntry, byRange } from './selective-access.js';
import { decodeWrapper, encodeWrapper } from './wrapper.js';
import { decodeXdlms, encodeXdlms } from './xdlms.js';

const ln = (s: string) => parseObjectRef(s).ln;

describe('CRC-16/X-25 (ISO/IEC 13239 FCS, used by IEC 62056-46 §8.4.1.5)', () => {
  it('has the catalogued check value 0x906E over "123456789"', () => {
    expect(crc16x25(Buffer.from('123456789'))).toBe(0x906e);
  });
});

describe('HDLC frames (IEC 62056-46)', () => {
  // hdlc-none-basic.jsonl frames 1-2 (dlms-cosem SNRM, Gurux UA): server upper address 1 (0x03),
  // client SAP 16 (0x21), UA with max info field 128 and window 1 both ways.
  it('encodes the recorded SNRM and UA byte for byte', () => {
    const server = { upper: 1, size: 1 as const };
    const client = { upper: 16, size: 1 as const };
    expect(hex(encodeFrame({ destination: server, source: client, kind: 'snrm' }))).toBe(
      '7ea0070321930f017e',
    );
    const ua = encodeFrame({
      destination: client,
      source: server,
      kind: 'ua',
      info: encodeParameters({ maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 }),
    });
    expect(hex(ua)).toBe('7ea01e210373c37a818012050180060180070400000001080400000001533b7e');
    expect(decodeParameters(decodeFrame(ua).info)).toEqual({
      maxInfoTx: 128,
      maxInfoRx: 128,
      windowTx: 1,
      windowRx: 1,
    });
  });

  it('decodes I-frame sequence numbers, segmentation and the four-byte server address', () => {
    // hdlc-none-object-list.jsonl: a segmented I-frame from the meter (N(S)=1, N(R)=2 → control 0x52).
    const f = encodeFrame({
      destination: { upper: 16, size: 1 },
      source: { upper: 1, size: 1 },
      kind: 'i',
      ns: 1,
      nr: 2,
      segmented: true,
      info: Uint8Array.of(1, 2),
    });
    expect(hex(f).slice(0, 10)).toBe('7ea80b2103');
    const d = decodeFrame(f);
    expect([d.kind, d.ns, d.nr, d.segmented]).toEqual(['i', 1, 2, true]);
    // README of the recordings: upper 1 / lower 4456 is 00 02 44 D1 on the wire.
    const four = encodeFrame({
      destination: { upper: 1, lower: 4456, size: 4 },
      source: { upper: 16, size: 1 },
      kind: 'snrm',
    });
    expect(hex(four).slice(6, 14)).toBe('000244d1');
    expect(decodeFrame(four).destination).toEqual({ upper: 1, lower: 4456, size: 4 });
  });

  it('rejects a corrupted frame with a typed CRC error', () => {
    const bad = fromHex('7ea0070321930f027e');
    expect(() => decodeFrame(bad)).toThrow(expect.objectContaining({ code: 'MG_ERR_DLMS_CRC' }));
  });
});

describe('TCP wrapper (IEC 62056-47)', () => {
  it('frames the recorded AARQ (wrapper-none-basic.jsonl frame 1)', () => {
    const apdu = fromHex(
      '6029a109060760857405080101a60a04084d47415445303031be10040e01000000065f1f040020405fffff',
    );
    const f = encodeWrapper(16, 1, apdu);
    expect(hex(f).slice(0, 16)).toBe('000100100001002b');
    expect(decodeWrapper(f)).toEqual({ source: 16, destination: 1, apdu });
  });
  it('refuses a wrong version', () => {
    expect(() => decodeWrapper(fromHex('0002001000010000'))).toThrow(DlmsError);
  });
});

describe('ACSE (Green Book §9.4.2)', () => {
  it('encodes the LLS AARQ of wrapper-lls-basic.jsonl byte for byte', () => {
    const aarq = encodeAarq({
      context: 1,
      callingApTitle: Buffer.from('MGATE001'),
      mechanism: 1,
      authValue: Buffer.from('Gurux'),
      userInformation: encodeInitiateRequest({ version: 6, conformance: 0x20405f, maxPduSize: 0xffff }),
    });
    expect(hex(aarq)).toBe(
      '603fa109060760857405080101a60a04084d474154453030318a0207808b0760857405080201ac0780054775727578be10040e01000000065f1f040020405fffff',
    );
    expect(decodeAarq(aarq).authValue).toEqual(new Uint8Array(Buffer.from('Gurux')));
  });
  it('decodes and re-encodes the recorded AAREs (accepted, rejected, HLS pending)', () => {
    const ok = fromHex(
      '6129a109060760857405080101a203020100a305a103020100be10040e0800065f1f040000001d02000007',
    );
    const a = decodeAare(ok);
    expect(decodeInitiateResponse(a.userInformation!)).toEqual({
      version: 6,
      conformance: 0x1d,
      maxPduSize: 512,
      vaaName: 7,
    });
    expect(hex(encodeAare(a))).toBe(hex(ok));
  });
});

describe('xDLMS APDUs (IEC 62056-5-3 §9.3)', () => {
  it('GET-Request-Normal of the register value (wrapper-none-basic.jsonl)', () => {
    const req = encodeXdlms({
      kind: 'get-request-normal',
      iip: 0xc1,
      attr: { classId: 3, ln: ln('1.1.21.25.0.255'), attribute: 2 },
    });
    expect(hex(req)).toBe('c001c100030101151900ff0200');
    const res = decodeXdlms(fromHex('c401c100120009'));
    expect(res).toMatchObject({
      kind: 'get-response-normal',
      result: { ok: true, data: { type: 'long-unsigned', value: 9 } },
    });
  });
  it('selective access by entry and by range as the recorded requests', () => {
    const e = encodeXdlms({
      kind: 'get-request-normal',
      iip: 0xc1,
      attr: { classId: 7, ln: ln('1.0.99.1.0.255'), attribute: 2 },
      access: byEntry(1, 2),
    });
    expect(hex(e)).toBe('c001c100070100630100ff020102020406000000010600000002120001120000');
    const r = encodeXdlms({
      kind: 'get-request-normal',
      iip: 0xc1,
      attr: { classId: 7, ln: ln('1.0.99.1.0.255'), attribute: 2 },
      access: byRange(Date.parse('2026-12-03T21:08:40Z'), Date.parse('2026-12-03T21:09:20Z')),
    });
    expect(hex(r)).toBe(
      'c001c100070100630100ff0201010204020412000809060000010000ff0f02120000090c07ea0c03ff15082800000000090c07ea0c03ff150914000000000100',
    );
  });
  it('datablock, exception with invocation counter, action response with data', () => {
    expect(decodeXdlms(fromHex('c402c101000000030003010203'))).toMatchObject({
      kind: 'get-response-with-datablock',
      last: true,
      block: 3,
    });
    expect(decodeXdlms(fromHex('d8010600000003'))).toEqual({
      kind: 'exception-response',
      stateError: 1,
      serviceError: 6,
      invocationCounter: 3,
    });
    const act = decodeXdlms(fromHex('c701c00001000911100000000274371eb9b0bbac7c909d28b9'));
    expect(act).toMatchObject({ kind: 'action-response-normal', result: 0, returned: { ok: true } });
  });
});

describe('A-XDR data (IEC 62056-6-2 §4.1.5)', () => {
  const samples: [string, DlmsData][] = [
    [
      '02020ffe161e',
      {
        type: 'structure',
        value: [
          { type: 'integer', value: -2 },
          { type: 'enum', value: 30 },
        ],
      },
    ],
    ['0408a5', { type: 'bit-string', value: '10100101' }],
    ['05fffffffe', { type: 'double-long', value: -2 }],
    ['1400000000000000ff', { type: 'long64', value: 255n }],
    ['173f800000', { type: 'float32', value: 1 }],
    ['0a03414243', { type: 'visible-string', value: 'ABC' }],
    ['1907ea0c030415080a00000000', { type: 'date-time', value: fromHex('07ea0c030415080a00000000') }],
    ['0300', { type: 'boolean', value: false }],
  ];
  for (const [h, v] of samples)
    it(`round-trips ${h}`, () => {
      expect(decodeDataBytes(fromHex(h))).toEqual(v);
      expect(hex(encodeDataBytes(v))).toBe(h);
    });
  it('decodes a compact array (contents description + contents)', () => {
    // array of 2 × structure{long-unsigned, integer}: description 01 0002 02 02 12 0f, contents 6 bytes.
    const v = decodeDataBytes(fromHex('13010002020212 0f 06 0001 ff 0002 01'.replace(/ /g, '')));
    expect(v).toMatchObject({ type: 'compact-array', value: [{ type: 'array' }] });
  });
  it('long lengths use the 0x81/0x82 forms', () => {
    const long = encodeDataBytes({ type: 'octet-string', value: new Uint8Array(300) });
    expect(hex(long.subarray(0, 4))).toBe('0982012c');
  });
  it('date-time to ISO 8601 (the recorded clock, UTC)', () => {
    expect(dateTimeToIso(fromHex('07ea0c030415080a00000000'))).toBe('2026-12-03T21:08:10Z');
    expect(hex(encodeDateTime(Date.parse('2026-12-03T21:08:10Z')))).toBe('07ea0c030415080a00000000');
    expect(dateTimeToIso(fromHex('ffff03fe0302000000800000'))).toBeUndefined();
  });
});

describe('security suite 0 (Green Book §9.2)', () => {
  const keys = {
    ek: fromHex('000102030405060708090a0b0c0d0e0f'),
    ak: fromHex('d0d1d2d3d4d5d6d7d8d9dadbdcdddedf'),
  };
  it('Green Book ed. 8 Table 40 "Example: glo-get-request xDLMS APDU"', () => {
    // System title 4D4D4D0000BC614E, IC 0x01234567, SC 0x30, plain GET of the clock's time.
    const title = fromHex('4d4d4d0000bc614e');
    const plain = fromHex('c0010000080000010000ff0200');
    const content = protect(plain, 0x30, title, 0x01234567, keys);
    expect(hex(encodeServiceCiphering(0xc8, content))).toBe(
      'c81e30012345674113' + '12ff935a47566827c467bc7d825c3be4a77c3fcc056b6b',
    );
    expect(
      unprotect(decodeCiphered(encodeServiceCiphering(0xc8, content)).content, title, keys).plain,
    ).toEqual(plain);
  });
  it('HLS-GMAC f(StoC) as the recorded client computed it (wrapper-gmac-basic.jsonl, IC 1)', () => {
    const f = gmacResponse(fromHex('70389cce67b359ac56ab552a158a4522'), Buffer.from('MGATE001'), 1, keys);
    expect(hex(f)).toBe('10000000010998f83862fc5c141256531e');
    // And the Gurux meter's f(CtoS) over the client's challenge verifies with the server title.
    const ic = verifyGmacResponse(
      fromHex('100000000274371eb9b0bbac7c909d28b9'),
      Buffer.from('metergate-client-challenge-32byt'),
      Buffer.from('ABCDEFGH'),
      keys,
    );
    expect(ic).toBe(2);
  });
  it('a wrong key is a typed cipher error, never a crash', () => {
    const content = protect(Uint8Array.of(1, 2, 3), 0x30, Buffer.from('MGATE001'), 5, keys);
    expect(() => unprotect(content, Buffer.from('MGATE001'), { ...keys, ek: new Uint8Array(16) })).toThrow(
      expect.objectContaining({ code: 'MG_ERR_DLMS_CIPHER' }),
    );
  });
});
