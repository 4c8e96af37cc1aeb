import { describe, expect, it } from 'vitest';
import { encodeAsciiFrame, lrc, scanAsciiExchange } from './ascii-framer.js';
import { readExchange, writeExchange } from './exchange.js';

// Frames captured from pymodbus 3.0.0rc1 (Debian python3-pymodbus, ModbusAsciiFramer) answering a
// raw-socket client: an independent encoder, not ours.
const PYMODBUS = {
  request: ':010400000002F9\r\n', // unit 1, FC 4, address 0, 2 registers
  answer: ':01040412345678E3\r\n', // 0x1234 0x5678
  exception: ':01840279\r\n', // exception 2 (illegal data address)
};
const req = { unitId: 1, function: 4 as const, address: 0, count: 2 };
const ascii = (s: string) => Buffer.from(s, 'latin1');

describe('Modbus ASCII framing (Modbus over serial line V1.02 §2.5.2, LRC §6.2.1)', () => {
  it('computes the LRC as the two’s complement of the byte sum', () => {
    expect(lrc(Buffer.from([1, 4, 0, 0, 0, 2]))).toBe(0xf9);
    expect(lrc(Buffer.from([]))).toBe(0);
    expect(lrc(Buffer.from([0x80, 0x80]))).toBe(0); // no carry beyond 8 bits
  });

  it('encodes a request exactly as pymodbus does', () => {
    expect(encodeAsciiFrame(1, readExchange(req).pdu).toString('latin1')).toBe(PYMODBUS.request);
    const fc6 = writeExchange({ unitId: 17, function: 6, address: 1, value: 3 });
    expect(encodeAsciiFrame(17, fc6.pdu).toString('latin1')).toBe(':110600010003E5\r\n');
  });

  it('decodes pymodbus answers and exceptions', () => {
    const ok = scanAsciiExchange(readExchange(req), ascii(PYMODBUS.answer));
    expect(ok.status === 'complete' && ok.result).toEqual({
      ok: true,
      registers: new Uint16Array([0x1234, 0x5678]),
    });
    const ex = scanAsciiExchange(readExchange(req), ascii(PYMODBUS.exception));
    expect(ex.status === 'complete' && ex.result).toMatchObject({
      ok: false,
      kind: 'exception',
      exception: 2,
    });
  });

  it('skips noise, other units, other lengths, frames cut by a new ":" and bad LRCs', () => {
    const noise = 'xx\r\n:0104'; // garbage, then a frame cut short by the next ':'
    const otherUnit = ':02040412345678E2\r\n';
    const otherLength = ':0104021234B3\r\n';
    const badLrc = ':01040412345678E4\r\n';
    const buf = ascii(noise + otherUnit + otherLength + badLrc + PYMODBUS.answer);
    const r = scanAsciiExchange(readExchange(req), buf);
    expect(r.status).toBe('complete');
    if (r.status !== 'complete') return;
    expect(r.result.ok && Array.from(r.result.registers)).toEqual([0x1234, 0x5678]);
    expect(r.garbageBytes).toBe(buf.length - PYMODBUS.answer.length);
    expect(scanAsciiExchange(readExchange(req), ascii(badLrc))).toEqual({
      status: 'incomplete',
      crcErrors: 1,
    });
  });

  it('waits for CR LF before taking a frame, and accepts lower-case hex', () => {
    const half = PYMODBUS.answer.slice(0, -1); // LF not yet received
    expect(scanAsciiExchange(readExchange(req), ascii(half)).status).toBe('incomplete');
    expect(scanAsciiExchange(readExchange(req), ascii(PYMODBUS.answer.toLowerCase())).status).toBe(
      'complete',
    );
  });
});
