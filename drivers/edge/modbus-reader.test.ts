import { describe, expect, it } from 'vitest';
import { parseModel } from '../catalogue/index.js';
import type { ReadRequest, ReadResult } from '../modbus/pdu.js';
import type { ModbusTransport } from '../modbus/transport.js';
import { ModbusReader } from './modbus-reader.js';

function fakeTransport(reads: ReadRequest[]): ModbusTransport {
  return {
    source: 'modbus-tcp',
    stats: { requests: 0, timeouts: 0, discardedBytes: 0, discardedFrames: 0, reconnects: 0 },
    start: async () => undefined,
    stop: async () => undefined,
    read: async (req): Promise<ReadResult> => {
      reads.push(req);
      return { ok: true, registers: new Uint16Array(req.count).fill(10) };
    },
    write: async () => ({ ok: true, registers: new Uint16Array(0) }),
  };
}

describe('ModbusReader per-field poll intervals', () => {
  it('reads a field with its own interval only when it is due', async () => {
    const r = parseModel({
      model: 'iv',
      vendor: 'x',
      description: 'x',
      defaults: { function: 3, type: 'uint16' },
      fields: [
        { obis: '1-0:32.7.0', address: 0 },
        { obis: '1-0:1.8.0', address: 500, interval: 900 },
      ],
    });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    const reads: ReadRequest[] = [];
    let now = 0;
    const reader = new ModbusReader({
      transport: fakeTransport(reads),
      unitId: 1,
      model: r.model,
      now: () => now,
    });
    expect(await reader.poll()).toMatchObject({ ok: true, values: { '1-0:32.7.0': 10, '1-0:1.8.0': 10 } });
    now = 60_000;
    expect(await reader.poll()).toEqual({ ok: true, values: { '1-0:32.7.0': 10 } });
    now = 900_000;
    expect(await reader.poll()).toMatchObject({ ok: true, values: { '1-0:1.8.0': 10 } });
    expect(reads.map((q) => q.address)).toEqual([0, 500, 0, 0, 500]);
  });
});
