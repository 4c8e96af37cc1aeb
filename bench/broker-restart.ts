import { runRestartCheck } from '../broker/restart-check.js';
import { machineInfo } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * Issue 21's durability check as a benchmark: a persistent QoS 1 subscriber away, N readings
 * published, `metergate broker` restarted (SIGTERM, then SIGKILL, …), the subscriber back: prints
 * `{ published, received, lost, duplicates }` (goal: lost 0, duplicates 0). See broker/restart-check.ts.
 */
export const brokerRestartBenchmark: Benchmark = {
  name: 'broker-restart',
  description:
    'readings queued for an offline persistent session across broker restarts: lost and duplicated',
  options: [
    {
      flags: '--messages <n>',
      description: 'readings published while the subscriber is away',
      default: '10000',
    },
    {
      flags: '--restarts <n>',
      description: 'broker restarts (alternately SIGTERM and SIGKILL)',
      default: '2',
    },
    { flags: '--fsync <when>', description: 'broker --fsync: interval or always', default: 'interval' },
    { flags: '--tiny', description: 'CI size: 500 readings' },
  ],
  async run(options) {
    const messages = options.tiny ? 500 : Number(options.messages ?? 10000);
    const restarts = Number(options.restarts ?? 2);
    const fsync = options.fsync === 'always' ? 'always' : 'interval';
    const r = await runRestartCheck({ messages, restarts, fsync });
    return {
      benchmark: 'broker-restart',
      machine: machineInfo(),
      fsync,
      ...r,
      goal: 'lost = 0 and duplicates = 0',
    };
  },
};
