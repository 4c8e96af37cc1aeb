import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { BENCHMARKS } from '../../bench/index.js';

/** `metergate bench NAME`: each benchmark prints one JSON document on stdout (never a timed test). */
export function registerBenchCommands(program: Command, ctx: CliContext): void {
  if (BENCHMARKS.length === 0) return;
  const bench = program.command('bench').description('run a benchmark and print its results as JSON');
  for (const b of BENCHMARKS) {
    const cmd = bench
      .command(b.name)
      .description(b.description)
      .option('--json', 'print JSON (the default and only format)');
    for (const o of b.options ?? []) cmd.option(o.flags, o.description, o.default);
    cmd.action(async (opts: Record<string, unknown>) => {
      const result = await b.run(opts, ctx);
      ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
  }
}
