import { describe, expect, it } from 'vitest';
import { parseModel } from '../../drivers/index.js';
import { SimulatedMeter } from '../model/simulated-meter.js';
import { answerPdu, FC_READ_WRITE, requestPduLength } from './pdu.js';

// A model with writable holding registers where Modbus application protocol v1.1b3 §6.17's example
// reads and writes: read 6 registers from address 3, write 3 registers from address 14.
const parsed = parseModel({
  model: 'rw-test',
  vendor: 'test',
  description: 'holding registers for the FC 23 example',
  source: 'Modbus application protocol v1.1b3 §6.17 example',
  defaults: { function: 3, type: 'uint16' },
  fields: [3, 4, 5, 6, 7, 8, 14, 15, 16].map((address) => ({ name: `r${address}`, address, writable: true })),
});
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const meter = () =>
  new SimulatedMeter({ id: 'rw-1', model: parsed.model, seed: 1, clock: { now: () => 1_800_000_000_000 } });
const NO_FAULT = { busy: false };

describe('FC 23 read/write multiple registers in the simulator (§6.17)', () => {
  it('answers the specification’s example request: the write lands before the read', () => {
    // 17 | read 0003 qty 0006 | write 000E qty 0003 | 06 bytes | 00FF 00FF 00FF
    const req = Buffer.from('17000300060' + '00E000306' + '00FF00FF00FF', 'hex');
    expect(requestPduLength(req)).toBe(req.length);
    const m = meter();
    const r = answerPdu(m, req, NO_FAULT);
    expect(r[0]).toBe(FC_READ_WRITE);
    expect(r[1]).toBe(12);
    // Then reading 14..16 shows what was written; a read overlapping the write sees the new value.
    const back = answerPdu(m, Buffer.from('17000E0003000F000102002A', 'hex'), NO_FAULT);
    expect(back.toString('hex')).toBe(`1706${'00ff'}${'002a'}${'00ff'}`);
  });

  it('refuses bad quantities, a byte count that does not match, and a write to unmapped registers', () => {
    const m = meter();
    const exception = (hex: string) => answerPdu(m, Buffer.from(hex, 'hex'), NO_FAULT).toString('hex');
    expect(exception('17000300000' + '00E00010200FF')).toBe('9703'); // read quantity 0
    expect(exception('1700030001' + '000E007A' + 'F4' + '00'.repeat(244))).toBe('9703'); // write quantity 122
    expect(exception('1700030001' + '000E0001' + '04' + '00FF0000')).toBe('9703'); // byte count ≠ 2 × quantity
    expect(exception('1700030001' + '01000001' + '02' + '00FF')).toBe('9702'); // unmapped write address
  });
});
