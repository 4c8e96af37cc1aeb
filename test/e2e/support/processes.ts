/**
 * `./bin/metergate` as child processes for the end-to-end tier: spawn with an environment, wait for
 * a line of output or an HTTP answer, stop with a signal and read the exit code. Every child is
 * started as the leader of its own process group, so `stopAll()` (call it in `afterAll`) can take
 * down a child together with anything it started (socat, …) even when a test failed half-way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

export interface MetergateProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout+stderr, or rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited(timeoutMs: number): Promise<number | string>;
  /** Sends `signal` and waits for the exit; SIGKILLs the group when it does not exit in time. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

const running = new Set<MetergateProcess>();

export function spawnMetergate(
  name: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; stdin?: string } = {},
): MetergateProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/metergate'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    wake();
  });
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  let exit: number | string | undefined;
  const exitPromise = new Promise<number | string>((res) =>
    child.once('exit', (code, signal) => {
      exit = code ?? signal ?? -1;
      running.delete(proc);
      wake();
      res(exit);
    }),
  );
  const tail = () =>
    `\n--- ${name} stdout ---\n${out.slice(-3000)}\n--- ${name} stderr ---\n${err.slice(-3000)}`;

  const proc: MetergateProcess = {
    name,
    child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(pattern, timeoutMs) {
      return new Promise((res, rej) => {
        const check = () => {
          const m = (out + err).match(pattern);
          if (m) return done(() => res(m));
          if (exit !== undefined)
            return done(() => rej(new Error(`${name} exited (${exit}) before printing ${pattern}${tail()}`)));
        };
        const timer = setTimeout(
          () => done(() => rej(new Error(`${name}: no ${pattern} within ${timeoutMs} ms${tail()}`))),
          timeoutMs,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async exited(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, rej) => {
        timer = setTimeout(
          () => rej(new Error(`${name} did not exit within ${timeoutMs} ms${tail()}`)),
          timeoutMs,
        );
      });
      try {
        return await Promise.race([exitPromise, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (exit !== undefined) return exit;
      child.kill(signal);
      try {
        return await proc.exited(timeoutMs);
      } catch (e) {
        killGroup(child);
        throw e;
      }
    },
  };
  running.add(proc);
  return proc;
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Stops every child still running (SIGTERM, then SIGKILL of its process group). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (p) => {
      await p.stop('SIGTERM', 15_000).catch(() => {});
      killGroup(p.child);
    }),
  );
}

/** A temp directory removed by `removeTempDirs()`. */
const dirs: string[] = [];
export function tempDir(label: string): string {
  const d = mkdtempSync(join(tmpdir(), `mg-e2e-${label}-`));
  dirs.push(d);
  return d;
}
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
