import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A connected pseudo-terminal pair from `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`:
 * bytes written to one end come out of the other, as on a null-modem cable. For serial tests of the
 * RTU and IEC 62056-21 simulators (a pty carries bytes, not baud or parity).
 */
export interface PtyPair {
  readonly a: string;
  readonly b: string;
  stop(): Promise<void>;
}

export async function openPtyPair(
  dir: string,
  names: [string, string] = ['A', 'B'],
  timeoutMs = 10_000,
): Promise<PtyPair> {
  const a = path.join(dir, names[0]);
  const b = path.join(dir, names[1]);
  const child: ChildProcess = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const deadline = Date.now() + timeoutMs;
  // socat logs "starting data transfer loop" once both ptys exist.
  while (!(log.includes('starting data transfer loop') && fs.existsSync(a) && fs.existsSync(b))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`socat did not open a pty pair: ${log.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    a,
    b,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
