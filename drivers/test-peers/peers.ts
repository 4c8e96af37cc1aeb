import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Third-party peers for the drivers' integration tests: processes nobody here wrote, started in a
 * temp dir and always killed by the returned `stop()`.
 */
export interface Peer {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function startProcess(cmd: string, args: string[], opts: { cwd?: string } = {}): Peer {
  const proc = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (b: Buffer) => {
    out += b.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return {
    proc,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export const LIBMODBUS_EXAMPLES = '/usr/share/doc/libmodbus-dev/examples';

/**
 * Builds libmodbus' own `unit-test-server` example. The only change to the upstream source is the
 * listening port (1502 is hard-coded), so parallel runs cannot collide.
 */
export function buildLibmodbusUnitTestServer(dir: string, port: number): string {
  for (const f of ['unit-test-server.c', 'unit-test.h']) {
    if (!fs.existsSync(path.join(LIBMODBUS_EXAMPLES, f)))
      throw new Error(
        `${LIBMODBUS_EXAMPLES}/${f} is missing (Debian package libmodbus-dev): run scripts/services.sh`,
      );
  }
  const src = fs
    .readFileSync(path.join(LIBMODBUS_EXAMPLES, 'unit-test-server.c'), 'utf8')
    .replace('modbus_new_tcp("127.0.0.1", 1502)', `modbus_new_tcp("127.0.0.1", ${port})`);
  if (!src.includes(`, ${port})`))
    throw new Error('unit-test-server.c no longer has the expected modbus_new_tcp call');
  fs.writeFileSync(path.join(dir, 'unit-test-server.c'), src);
  fs.copyFileSync(path.join(LIBMODBUS_EXAMPLES, 'unit-test.h'), path.join(dir, 'unit-test.h'));
  const bin = path.join(dir, 'unit-test-server');
  const cflags = execFileSync(
    'sh',
    ['-c', 'pkg-config --cflags libmodbus 2>/dev/null || echo -I/usr/include/modbus'],
    {
      encoding: 'utf8',
    },
  ).trim();
  execFileSync('sh', ['-c', `gcc -O1 -o ${bin} ${path.join(dir, 'unit-test-server.c')} ${cflags} -lmodbus`]);
  return bin;
}

/** A socat pseudo-terminal pair: bytes written to `a` come out of `b` and back. */
export async function startPtyPair(dir: string): Promise<Peer & { a: string; b: string }> {
  const a = path.join(dir, 'ttyA');
  const b = path.join(dir, 'ttyB');
  const peer = startProcess('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`]);
  await waitFor(() => fs.existsSync(a) && fs.existsSync(b), 5000, 'socat pty pair');
  return { ...peer, a, b };
}

/** The mosquitto binary: on PATH, or Debian's /usr/sbin (not on every non-root PATH). */
export function mosquittoBinary(): string {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('mosquitto is not installed (Debian package mosquitto): run scripts/services.sh');
  }
}

/** A private mosquitto on `port` with on-disk persistence, so stopping and restarting it keeps sessions. */
export function startMosquitto(dir: string, port: number): Peer {
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'autosave_interval 1',
      'max_queued_messages 100000',
      'log_type error',
      '',
    ].join('\n'),
  );
  return startProcess(mosquittoBinary(), ['-c', conf]);
}

export async function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Raw SDM630 values as the meter stores them (V, A, W, VA, VAr, Hz, kWh), by register address. */
export const SDM630_RAW: Readonly<Record<number, number>> = {
  0x00: 230.1,
  0x02: 231.2,
  0x04: 229.8,
  0x06: 5.5,
  0x08: 4.25,
  0x0a: 3.0,
  0x0c: 1265.5,
  0x0e: 982.25,
  0x10: 689.4,
  0x1e: 0.98,
  0x20: 0.97,
  0x22: 0.96,
  0x34: 2937.15,
  0x38: 3050.0,
  0x3c: -410.5,
  0x3e: 0.963,
  0x46: 50.02,
  0x48: 12345.67,
  0x4a: 12.5,
};

export const PYMODBUS_SERVER = new URL('./pymodbus_server.py', import.meta.url).pathname;

export const PYMODBUS_CLIENT = new URL('./pymodbus_client.py', import.meta.url).pathname;

/** The float32 (high word first) in the first two registers of a read answer; undefined on failure. */
export function answerFloat32(r: { ok: boolean; registers?: Uint16Array }): number | undefined {
  if (!r.ok || !r.registers) return undefined;
  const b = Buffer.alloc(4);
  b.writeUInt16BE(r.registers[0]!, 0);
  b.writeUInt16BE(r.registers[1]!, 2);
  return b.readFloatBE(0);
}
