import { describe, expect, it } from 'vitest';
import { crc16Modbus, crcValid, withCrc } from './crc16.js';
import { decodeReadResponsePdu, encodeReadPdu } from './pdu.js';
import { scanRtuResponse } from './rtu-framer.js';
import { minCycleMs, t35Ms } from './rtu-timing.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('CRC-16/MODBUS', () => {
  it('matches the Modbus over serial line spec example (Appendix B: 02 07 -> 41 12)', () => {
    expect(withCrc(hex('0207')).toString('hex')).toBe('02074112');
  });
  it('matches the widely published read-holding-registers frame 01 03 00 00 00 0A C5 CD', () => {
    expect(withCrc(hex('01030000000A')).toString('hex')).toBe('01030000000ac5cd');
    expect(crcValid(hex('01030000000AC5CD'), 0, 8)).toBe(true);
    expect(crcValid(hex('01030000000AC5CE'), 0, 8)).toBe(false);
  });
  it('check value of the CRC catalogue ("123456789" -> 0x4B37)', () => {
    expect(crc16Modbus(Buffer.from('123456789'))).toBe(0x4b37);
  });
});

describe('read PDU', () => {
  const req = { unitId: 1, function: 4 as const, address: 0x48, count: 2 };
  it('encodes function, address and quantity big-endian', () => {
    expect(encodeReadPdu(req).toString('hex')).toBe('0400480002');
  });
  it('rejects counts outside 1..125 as misuse', () => {
    expect(() => encodeReadPdu({ ...req, count: 126 })).toThrow(/count 126/);
    expect(() => encodeReadPdu({ ...req, count: 0 })).toThrow(/count 0/);
  });
  it('decodes registers', () => {
    const r = decodeReadResponsePdu(req, hex('0404 43660000'));
    expect(r.ok && Array.from(r.registers)).toEqual([0x4366, 0]);
  });
  it('reports exceptions, wrong functions and wrong lengths as tagged failures', () => {
    expect(decodeReadResponsePdu(req, hex('8406'))).toMatchObject({
      ok: false,
      kind: 'exception',
      exception: 6,
    });
    expect(decodeReadResponsePdu(req, hex('0304 00000000'))).toMatchObject({ ok: false, kind: 'malformed' });
    expect(decodeReadResponsePdu(req, hex('0402 0000'))).toMatchObject({ ok: false, kind: 'malformed' });
    expect(decodeReadResponsePdu(req, hex('0404 000000'))).toMatchObject({ ok: false, kind: 'malformed' });
    expect(decodeReadResponsePdu(req, hex('04'))).toMatchObject({ ok: false, kind: 'malformed' });
  });
});

describe('RTU response scan', () => {
  const req = { unitId: 7, function: 3 as const, address: 0, count: 1 };
  const good = withCrc(hex('07 03 02 01 2c'));
  it('finds a frame after line noise', () => {
    const r = scanRtuResponse(req, Buffer.concat([hex('ff00 0703 55'), good]));
    expect(r.status).toBe('complete');
    if (r.status === 'complete') {
      expect(r.result).toMatchObject({ ok: true });
      expect(r.garbageBytes).toBe(5);
    }
  });
  it('waits while the frame is incomplete', () => {
    expect(scanRtuResponse(req, good.subarray(0, 5)).status).toBe('incomplete');
  });
  it('never accepts a frame with a bad CRC, or from another unit', () => {
    const bad = Buffer.from(good);
    bad[4] = bad[4]! ^ 0x01;
    expect(scanRtuResponse(req, bad)).toEqual({ status: 'incomplete', crcErrors: 1 });
    expect(scanRtuResponse(req, withCrc(hex('08 03 02 01 2c'))).status).toBe('incomplete');
  });
  it('decodes exception frames', () => {
    const r = scanRtuResponse(req, withCrc(hex('07 83 02')));
    expect(r.status === 'complete' && r.result).toMatchObject({ ok: false, kind: 'exception', exception: 2 });
  });
});

describe('RTU timing', () => {
  it('uses 11-bit characters and 3.5 character gaps up to 19200 baud, 1.75 ms above', () => {
    expect(t35Ms(9600)).toBeCloseTo((3.5 * 11 * 1000) / 9600, 6);
    expect(t35Ms(38400)).toBe(1.75);
    // 8-byte request + 5 + 2·76 response + 2 gaps of 3.5 characters at 9600 baud.
    expect(minCycleMs(9600, 76)).toBeCloseTo(((8 + 157 + 7) * 11 * 1000) / 9600, 6);
  });
});
