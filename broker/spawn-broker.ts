import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test support: run `metergate broker …` as a child process (the real CLI path) and wait for its
 * readiness line. Not exported from index.ts.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface SpawnedBroker {
  ports: { tcp?: number; tls?: number; ws?: number };
  /** Everything the broker logged on stderr so far (pino JSON lines). */
  logs(): string;
  stop(): Promise<number | null>;
  /** Kill without a chance to flush (SIGKILL), as a crash would. */
  kill(): Promise<number | null>;
  pid: number;
}

/** Without `--data-dir` in args the broker gets a fresh temporary one (never the repo's .data/). */
export function spawnBroker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SpawnedBroker> {
  if (!args.includes('--data-dir') && !args.includes('--memory'))
    args = [...args, '--data-dir', mkdtempSync(path.join(os.tmpdir(), 'mg-broker-'))];
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin/metergate'), 'broker', ...args], {
    cwd: ROOT,
    // The sources, not a dist/ build that may be stale (as the test tiers do).
    env: { ...process.env, LOG_LEVEL: 'info', METERGATE_FROM_SOURCES: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`broker did not start within 30 s; stderr: ${err}`));
    }, 30_000);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before listening; stderr: ${err}`));
    };
    child.once('exit', early);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{"listening"'));
      if (!line) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        ports: (JSON.parse(line) as { listening: SpawnedBroker['ports'] }).listening,
        logs: () => err,
        pid: child.pid!,
        async stop() {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
        async kill() {
          if (child.exitCode === null) child.kill('SIGKILL');
          await exited;
          return null;
        },
      });
    });
  });
}
