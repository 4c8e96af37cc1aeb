import type { Logger } from './logger.js';

/** What every subcommand is handed: streams and a logger, so commands are testable in-process. */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  logger: (level?: string) => Logger;
  /** Set by a command to the process exit code it wants. */
  exitCode: number;
}
