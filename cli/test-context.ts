import { PassThrough } from 'node:stream';
import type { CliContext } from './context.js';
import { createLogger } from './logger.js';

/** A CliContext for running commands in-process in tests, with everything they print captured. */
export function captureContext(
  env: NodeJS.ProcessEnv = {},
  stdin = new PassThrough(),
): CliContext & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  return {
    stdout,
    stderr,
    stdin,
    env,
    logger: () => createLogger('silent'),
    exitCode: 0,
    out: () => out,
    err: () => err,
  };
}
