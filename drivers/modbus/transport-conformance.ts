import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModbusTransport } from './transport.js';

export interface TransportFixture {
  /** Started, talking to a real peer. */
  transport: ModbusTransport;
  unitId: number;
  /** A block the peer serves, with the registers it must return. */
  known: { function: 3 | 4; address: number; registers: readonly number[] };
  /** A read the peer rejects with exception 2 (illegal data address). */
  illegal: { function: 3 | 4; address: number; count: number };
  /** A unit id that never answers (omit when the peer answers every unit id). */
  silentUnitId?: number;
  teardown(): Promise<void>;
}

/**
 * The contract every ModbusTransport meets (STYLE.md §3), run against a real peer: exact values,
 * exceptions as tagged failures, no crossed replies under concurrency, a timeout instead of a value
 * when nobody answers, misuse thrown as DriverError, nothing after stop().
 */
export function transportConformance(name: string, setup: () => Promise<TransportFixture>): void {
  describe(`ModbusTransport conformance: ${name}`, () => {
    let f: TransportFixture;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f?.teardown();
    });

    it('returns exactly the registers the peer holds', async () => {
      const { function: fn, address, registers } = f.known;
      const r = await f.transport.read({ unitId: f.unitId, function: fn, address, count: registers.length });
      expect(r.ok && Array.from(r.registers)).toEqual(registers);
    });

    it('reports an illegal address as exception 2, not as values', async () => {
      const r = await f.transport.read({ unitId: f.unitId, ...f.illegal });
      expect(r).toMatchObject({ ok: false, kind: 'exception', exception: 2 });
    });

    it('never crosses replies between concurrent callers', async () => {
      const { function: fn, address, registers } = f.known;
      const reads = registers.map((_, i) =>
        f.transport.read({ unitId: f.unitId, function: fn, address: address + i, count: 1 }),
      );
      const results = await Promise.all(reads);
      expect(results.map((r) => (r.ok ? r.registers[0] : r))).toEqual(registers);
    });

    it('answers a silent unit with a timeout failure', async () => {
      if (f.silentUnitId === undefined) return;
      const r = await f.transport.read(
        { unitId: f.silentUnitId, function: f.known.function, address: f.known.address, count: 1 },
        { timeoutMs: 200 },
      );
      expect(r).toMatchObject({ ok: false, kind: 'timeout' });
    });

    it('throws MG_ERR_DRIVER_REQUEST on misuse (count beyond 125)', async () => {
      await expect(
        f.transport.read({ unitId: f.unitId, function: 3, address: 0, count: 126 }),
      ).rejects.toMatchObject({ code: 'MG_ERR_DRIVER_REQUEST' });
    });

    it('refuses reads after stop()', async () => {
      await f.transport.stop();
      await expect(
        f.transport.read({
          unitId: f.unitId,
          function: f.known.function,
          address: f.known.address,
          count: 1,
        }),
      ).rejects.toMatchObject({ code: 'MG_ERR_DRIVER_NOT_STARTED' });
    });
  });
}
