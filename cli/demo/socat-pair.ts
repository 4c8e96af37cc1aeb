import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Whether `socat` is on PATH: the demo puts RTU and IEC meters on serial lines only then. */
export function socatAvailable(): boolean {
  return spawnSync('sh', ['-c', 'command -v socat'], { stdio: 'ignore' }).status === 0;
}

/**
 * A pseudo-terminal pair joined by socat: a virtual serial cable with the meter on `a` and the edge
 * on `b`, exactly as a USB RS-485 adapter would present it.
 */
export class SocatPair {
  readonly a: string;
  readonly b: string;
  private child: ChildProcess | undefined;

  constructor(dir: string, name: string) {
    this.a = join(dir, `${name}-meter`);
    this.b = join(dir, `${name}-edge`);
  }

  async start(): Promise<void> {
    this.child = spawn('socat', [`pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 5000;
    while (!(existsSync(this.a) && existsSync(this.b))) {
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`socat did not create the pty pair ${this.a} <-> ${this.b}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
