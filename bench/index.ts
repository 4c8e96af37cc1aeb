import type { Benchmark } from './types.js';
import { anomalyBenchmark } from './anomaly.js';
import { tokensBenchmark } from './tokens.js';
import { modbusBenchmark } from './modbus.js';
import { vendBenchmark } from './vend.js';
import { brokerBenchmark } from './broker.js';
import { brokerRestartBenchmark } from './broker-restart.js';
import { ingestBenchmark } from './ingest.js';
import { billingBenchmark } from './billing.js';
import { dlmsBenchmark } from './dlms.js';
import { demoBenchmark } from './demo.js';
import { liveBenchmark } from './live.js';
import { scaleoutBenchmark } from './scaleout.js';
import { mapBenchmark } from './map.js';

export type { Benchmark, BenchOption } from './types.js';
export { machineInfo, median, percentile } from './machine.js';

/** Every benchmark `metergate bench NAME` can run; each lives in its own file. */
export const BENCHMARKS: Benchmark[] = [
  tokensBenchmark,
  anomalyBenchmark,
  modbusBenchmark,
  vendBenchmark,
  brokerBenchmark,
  brokerRestartBenchmark,
  ingestBenchmark,
  dlmsBenchmark,
  billingBenchmark,
  demoBenchmark,
  liveBenchmark,
  scaleoutBenchmark,
  mapBenchmark,
];
