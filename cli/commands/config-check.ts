import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { ConfigError, loadConfig } from '../config/index.js';

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program.command('config').description('inspect and validate configuration files');
  config
    .command('check')
    .argument('<file>', 'YAML or JSON configuration file')
    .option('--print', 'print the resolved configuration (defaults and environment applied, secrets hidden)')
    .description('validate a configuration file against the schema, with environment overrides applied')
    .action(async (file: string, opts: { print?: boolean }) => {
      try {
        const cfg = await loadConfig(file, ctx.env);
        ctx.stdout.write(`${file}: ok\n`);
        if (opts.print) {
          const shown = JSON.stringify(
            cfg,
            (k, v) => (/password|key/i.test(k) && typeof v === 'string' ? '[hidden]' : v),
            2,
          );
          ctx.stdout.write(`${shown}\n`);
        }
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        ctx.stderr.write(`${err.message}\n`);
        ctx.exitCode = 1;
      }
    });
}
