import { DlmsClient, connectTcp, parseObis, WrapperTransport, type DlmsData } from '../drivers/index.js';
import { DlmsSimulator, SimClock } from '../simulators/index.js';
import { machineInfo, median } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * `metergate bench dlms`: read one year of the 15-minute load profile (35,040 entries × 4 captured
 * values) from the DLMS simulator over the IEC 62056-47 wrapper, as the public client, whole buffer
 * with GET-with-datablock, decoded into COSEM data. The simulator runs in the same process, so the
 * time includes the meter encoding its buffer as well as the client's transfer and decoding.
 */
async function readYear(
  sim: DlmsSimulator,
): Promise<{ entries: number; values: number; bytes: number; seconds: number }> {
  const t0 = performance.now();
  const transport = new WrapperTransport(await connectTcp('127.0.0.1', sim.port), 16, 1, {
    timeoutMs: 30_000,
  });
  const client = new DlmsClient(transport, { auth: 'none' });
  await client.associate();
  const { data, raw } = await client.get({ classId: 7, ln: parseObis('1.0.99.1.0.255'), attribute: 2 });
  await client.release();
  await transport.close();
  const seconds = (performance.now() - t0) / 1000;
  const rows = data.type === 'array' ? data.value : [];
  const values = rows.reduce(
    (n: number, r: DlmsData) => n + (r.type === 'structure' ? r.value.length : 0),
    0,
  );
  return { entries: rows.length, values, bytes: raw.length, seconds };
}

export const dlmsBenchmark: Benchmark = {
  name: 'dlms',
  description:
    'read a year of 15-minute load profile (35,040 entries × 4 values) from the DLMS simulator over the wrapper',
  options: [{ flags: '--runs <n>', description: 'timed runs (median reported)', default: '3' }],
  async run(options) {
    const runs = Math.max(1, Number(options.runs ?? 3) || 3);
    const clock = new SimClock({ start: Date.parse('2026-06-01T00:00:00Z'), acceleration: 0 });
    const sim = new DlmsSimulator({ meters: 1, transport: 'wrapper', clock });
    await sim.start();
    try {
      // Cold run: JIT warm-up, and the meter integrating its year of history for the first time.
      const cold = await readYear(sim);
      const results = [];
      for (let i = 0; i < runs; i++) results.push(await readYear(sim));
      const seconds = median(results.map((r) => r.seconds));
      const { entries, values, bytes } = results[0]!;
      return {
        benchmark: 'dlms',
        entries,
        valuesPerEntry: entries ? values / entries : 0,
        seconds: Number(seconds.toFixed(3)),
        entriesPerSec: Math.round(entries / seconds),
        bufferBytes: bytes,
        coldSeconds: Number(cold.seconds.toFixed(3)),
        runs: results.map((r) => Number(r.seconds.toFixed(3))),
        transport: 'wrapper',
        simulator: 'in-process',
        goalSeconds: 5,
        machine: machineInfo(),
      };
    } finally {
      await sim.stop();
    }
  },
};
