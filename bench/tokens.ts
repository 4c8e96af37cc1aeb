import os from 'node:os';
import type { Benchmark } from './types.js';
import { machineInfo, median } from './machine.js';
import {
  decodeToken,
  deriveDecoderKey,
  generateCreditToken,
  generateTestStaTables,
  type MeterKey,
  type StaTables,
} from '../token-engine/index.js';

/**
 * `metergate bench tokens`: STS credit tokens per second on one core (single JS thread) for
 * EA11+DKGA04 and EA07+DKGA02 (generated TEST STA tables: same cost as production tables), with
 * decoder key derivation per token and with a cached decoder key, plus decoding.
 */
const KEYS: Record<string, MeterKey> = {
  'ea11-dkga04': {
    dkga: '04',
    ea: '11',
    vendingKey: 'abababababababab949494949494949401234567',
    sgc: '123457',
    ti: 1,
    krn: 1,
    kt: 2,
    ken: 255,
    baseDate: 2014,
    pan: '600727000000000009',
  },
  'ea07-dkga02': {
    dkga: '02',
    ea: '07',
    vendingKey: 'abababababababab',
    sgc: '123456',
    ti: 1,
    krn: 1,
    kt: 2,
    ken: 255,
    baseDate: 2014,
    pan: '600727000000000009',
  },
};

type Rate = { wall: number; cpu: number };

/**
 * Tokens per wall-clock second and per CPU second of this process. The machine is often shared,
 * so the CPU-time rate is the better estimate of what one dedicated core does.
 */
function rate(seconds: number, op: (i: number) => void): Rate {
  // Warm up so the JIT has compiled the hot path before we time it.
  for (let i = 0; i < 2000; i++) op(i);
  let n = 0;
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 1000; i++) op(n++);
    elapsed = process.hrtime.bigint() - start;
  }
  const cpu = process.cpuUsage(cpu0);
  return { wall: n / (Number(elapsed) / 1e9), cpu: n / ((cpu.user + cpu.system) / 1e6) };
}

export const tokensBenchmark: Benchmark = {
  name: 'tokens',
  description: 'STS token generation/decoding throughput per core (EA11+DKGA04, EA07+DKGA02)',
  options: [
    { flags: '--runs <n>', description: 'timed runs per case (median reported)', default: '5' },
    { flags: '--seconds <s>', description: 'seconds per run', default: '1' },
  ],
  async run(options) {
    const runs = Math.max(1, Number(options.runs ?? 5));
    const seconds = Math.max(0.1, Number(options.seconds ?? 1));
    const staTables: StaTables = generateTestStaTables();
    const results: Record<string, unknown> = {};
    for (const [name, key] of Object.entries(KEYS)) {
      const cached = deriveDecoderKey(key);
      const tokenFor = (decoderKey: Uint8Array, i: number): string =>
        generateCreditToken({
          decoderKey,
          ea: key.ea,
          staTables,
          subclass: 0,
          units: 1 + (i % 500),
          tid: 1000 + (i & 0xfffff),
          rnd: i & 15,
        });
      const sample = tokenFor(cached, 1);
      const cases: Record<string, (i: number) => void> = {
        derivePerToken: (i) => {
          tokenFor(deriveDecoderKey(key), i);
        },
        cachedKey: (i) => {
          tokenFor(cached, i);
        },
        decodeCachedKey: () => {
          decodeToken(sample, { decoderKey: cached, ea: key.ea, staTables });
        },
      };
      const out: Record<string, unknown> = {};
      for (const [caseName, op] of Object.entries(cases)) {
        const rates: Rate[] = [];
        for (let r = 0; r < runs; r++) rates.push(rate(seconds, op));
        out[caseName] = {
          tokensPerSecondMedian: Math.round(median(rates.map((x) => x.wall))),
          tokensPerCpuSecondMedian: Math.round(median(rates.map((x) => x.cpu))),
          runsWall: rates.map((x) => Math.round(x.wall)),
        };
      }
      results[name] = out;
    }
    return {
      benchmark: 'tokens',
      machine: machineInfo(),
      note: "single JS thread = one core; tokensPerCpuSecond divides by this process's CPU time (fairer on a shared machine); EA07 uses the generated TEST STA tables (same cost as production tables)",
      loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
      goal: { derivePerTokenTokensPerSecond: 50_000 },
      results,
    };
  },
};
