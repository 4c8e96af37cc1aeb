import type { CliContext } from '../cli/context.js';

export interface BenchOption {
  flags: string;
  description: string;
  default?: string | boolean;
}

/** A benchmark prints JSON: always include `machine` (see machine.ts) and medians, never a pass/fail. */
export interface Benchmark {
  name: string;
  description: string;
  options?: BenchOption[];
  run(options: Record<string, unknown>, ctx: CliContext): Promise<Record<string, unknown>>;
}
