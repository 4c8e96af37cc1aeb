import { describe, expect, it } from 'vitest';
import {
  bcc,
  ETX,
  parseDataMessage,
  parseIdentification,
  STX,
  toObisValues,
  ackOptionSelect,
} from './readout.js';

const DATA = '0.0.0(12345678)\r\n1.8.0(001234.567*kWh)\r\n2.8.0(000012.345*kWh)\r\n!\r\n';

function message(data: string, check?: number): Buffer {
  const body = Buffer.concat([Buffer.from(data, 'latin1'), Buffer.from([ETX])]);
  return Buffer.concat([Buffer.from([STX]), body, Buffer.from([check ?? bcc(body, 0, body.length)])]);
}

describe('IEC 62056-21 readout', () => {
  it('computes BCC 0x19 for the METERS.md example block', () => {
    const body = Buffer.concat([Buffer.from(DATA, 'latin1'), Buffer.from([ETX])]);
    expect(bcc(body, 0, body.length)).toBe(0x19);
  });
  it('parses the identification and the baud character', () => {
    expect(parseIdentification('/ISK5MT174-0001\r\n')).toEqual({
      ok: true,
      value: { manufacturer: 'ISK', baudChar: '5', baud: 9600, ident: 'MT174-0001' },
    });
    expect(parseIdentification('/LGZ4ZMD3104407.B32\r\n')).toMatchObject({ ok: true, value: { baud: 4800 } });
    expect(parseIdentification('garbage\r\n')).toMatchObject({ ok: false });
    expect(parseIdentification('/ISK9MT174\r\n')).toMatchObject({ ok: false, reason: /not a mode C rate/ });
  });
  it('builds the ACK option select message 06 30 Z 30 CR LF', () => {
    expect(ackOptionSelect('5').toString('hex')).toBe('063035300d0a');
  });
  it('parses a data message with a valid BCC and maps lines to OBIS', () => {
    const r = parseDataMessage(message(DATA));
    expect(r.ok).toBe(true);
    if (r.ok !== true) return;
    expect(r.value).toEqual([
      { address: '0.0.0', value: '12345678' },
      { address: '1.8.0', value: '001234.567', unit: 'kWh' },
      { address: '2.8.0', value: '000012.345', unit: 'kWh' },
    ]);
    const { values, skipped } = toObisValues(r.value);
    expect(values).toEqual({ '1-0:1.8.0': 1234.567, '1-0:2.8.0': 12.345 });
    expect(skipped).toEqual(['0.0.0']);
  });
  it('rejects a wrong BCC and waits for an incomplete message', () => {
    expect(parseDataMessage(message(DATA, 0x18))).toMatchObject({
      ok: false,
      reason: /BCC 0x18 != computed 0x19/,
    });
    expect(parseDataMessage(message(DATA).subarray(0, 20))).toEqual({ ok: 'incomplete' });
  });
  it('maps billing periods (*NN, &NN) to value group F and never onto the current register', () => {
    const { values, skipped } = toObisValues([
      { address: '1.8.0', value: '10', unit: 'kWh' },
      { address: '1.8.0*01', value: '9', unit: 'kWh' },
      { address: '1.8.0&2', value: '8', unit: 'kWh' },
      { address: '1-0:2.8.0*12', value: '7', unit: 'kWh' },
      { address: '32.7.0*01', value: '230', unit: 'V' }, // no billing period for an instantaneous value
    ]);
    expect(values).toEqual({
      '1-0:1.8.0': 10,
      '1-0:1.8.0*01': 9,
      '1-0:1.8.0*02': 8,
      '1-0:2.8.0*12': 7,
    });
    expect(skipped).toEqual(['32.7.0*01']);
  });
  it('converts units to the registry unit and skips unknown ones', () => {
    const { values, skipped } = toObisValues([
      { address: '1.8.0', value: '1500', unit: 'Wh' },
      { address: '1-0:32.7.0', value: '229.9', unit: 'V' },
      { address: '1.7.0', value: '3', unit: 'furlong' },
      { address: 'C.1.0', value: '1' },
    ]);
    expect(values).toEqual({ '1-0:1.8.0': 1.5, '1-0:32.7.0': 229.9 });
    expect(skipped).toEqual(['1.7.0', 'C.1.0']);
  });
});
