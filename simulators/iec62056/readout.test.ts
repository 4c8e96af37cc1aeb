import { describe, expect, it } from 'vitest';
import { bcc, dataLines, ETX, readoutMessage, STX } from './readout.js';

describe('IEC 62056-21 readout', () => {
  it('computes the BCC of the METERS.md example (0x19)', () => {
    const lines = ['0.0.0(12345678)', '1.8.0(001234.567*kWh)', '2.8.0(000012.345*kWh)'];
    const msg = readoutMessage(lines);
    expect(msg[0]).toBe(STX);
    expect(msg.subarray(1, -2).toString('ascii')).toBe(
      '0.0.0(12345678)\r\n1.8.0(001234.567*kWh)\r\n2.8.0(000012.345*kWh)\r\n!\r\n',
    );
    expect(msg.at(-2)).toBe(ETX);
    expect(msg.at(-1)).toBe(0x19);
    expect(bcc(msg.subarray(1, -1))).toBe(0x19);
  });

  it('formats values in the registry units with C.D.E codes', () => {
    expect(
      dataLines('42', {
        '1-0:1.8.0': 1234.5671,
        '1-0:32.7.0': 229.94,
        '1-0:13.7.0': 0.951,
        '1-0:14.7.0': 50.004,
      }),
    ).toEqual(['0.0.0(42)', '1.8.0(001234.567*kWh)', '32.7.0(229.9*V)', '14.7.0(50.00*Hz)', '13.7.0(0.951)']);
  });
});
