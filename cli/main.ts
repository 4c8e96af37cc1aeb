import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { COMMANDS } from './commands/index.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('metergate')
    .description('smart-meter ingestion and STS prepaid-token gateway')
    .version(VERSION, '-v, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .showHelpAfterError('(run metergate --help for usage)');
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

export function defaultContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    logger: (level) => createLogger((level ?? process.env.LOG_LEVEL ?? 'info') as 'info'),
    exitCode: 0,
  };
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: string[], ctx: CliContext = defaultContext()): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode;
    }
    const e = err as Error & { code?: string };
    ctx.stderr.write(`metergate: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
    return 1;
  }
}

/** True when this module is the process entry (`node dist/cli/main.js …`), not an import. */
function isEntry(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false; // argv[1] is not a file (node -e, a REPL): not the entry
  }
}

if (isEntry()) {
  // Owner-only files (databases, outboxes, keys): see bin/metergate.
  process.umask(0o077);
  process.exitCode = await main(process.argv.slice(2));
}
