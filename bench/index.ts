import type { Benchmark } from './types.js';
import { anomalyBenchmark } from './anomaly.js';
import { tokensBenchmark } from './tokens.js';
import { modbusBenchmark } from './modbus.js';
import { vendBenchmark } from './vend.js';
import { brokerBenchmark } from './broker.js';
import { ingestBenchmark } from './ingest.js';

export type { Benchmark, BenchOption } from './types.js';
export { machineInfo, median, percentile } from './machine.js';

/** Every benchmark `metergate bench NAME` can run; each lives in its own file. */
export const BENCHMARKS: Benchmark[] = [
  tokensBenchmark,
  anomalyBenchmark,
  modbusBenchmark,
  vendBenchmark,
  brokerBenchmark,
  ingestBenchmark,
];
