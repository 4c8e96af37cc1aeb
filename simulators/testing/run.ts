import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for the simulator's integration tests: run peers, run the CLI, wait for output. */
export const PEERS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'peers');
export const METERGATE_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../bin/metergate',
);

export function run(
  cmd: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Send a signal and resolve with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProcess(cmd: string, args: string[]): RunningProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    async waitFor(text, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m =
          typeof text === 'string' ? (out.includes(text) ? text : null) : (text.exec(out)?.[0] ?? null);
        if (m !== null) return m;
        if (child.exitCode !== null)
          throw new Error(`process exited (${child.exitCode}) before ${String(text)}: ${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
