import { describe, expect, it } from 'vitest';
import { crc16Modbus, crcOk, withCrc } from './crc16.js';

describe('CRC-16/MODBUS', () => {
  it('matches the published vectors', () => {
    // CRC catalogue check value for CRC-16/MODBUS over "123456789" is 0x4B37.
    expect(crc16Modbus(Buffer.from('123456789', 'ascii'))).toBe(0x4b37);
    // Read holding registers 0..9 of unit 1: 01 03 00 00 00 0A C5 CD (Modbus serial guide examples).
    expect(withCrc(Buffer.from([1, 3, 0, 0, 0, 10]))).toEqual(Buffer.from([1, 3, 0, 0, 0, 10, 0xc5, 0xcd]));
    expect(crcOk(Buffer.from([1, 3, 0, 0, 0, 10, 0xc5, 0xcd]))).toBe(true);
    expect(crcOk(Buffer.from([1, 3, 0, 0, 0, 10, 0xc5, 0xce]))).toBe(false);
  });
});
