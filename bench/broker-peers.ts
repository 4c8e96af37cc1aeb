import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { hashPassword } from '../broker/index.js';
import { spawnBroker } from '../broker/spawn-broker.js';
import { TopicScheme } from '../protocol/index.js';

/**
 * The brokers `bench broker` compares out of process, with the same users, passwords and ACLs:
 * `metergate broker` (the shipped CLI) and Debian's Mosquitto 2 (`/usr/sbin/mosquitto`, started here
 * on a free port with its own config, password file from mosquitto_passwd and an ACL file giving
 * each edge its meters' reading topics). Plus idle-connection memory: N raw MQTT connections, the
 * broker's RSS before and after.
 */
export const BENCH_PASSWORD = 'bench-password-not-secret';
export const METERS_PER_EDGE = 10;
export const meterIds = (edge: number) => Array.from({ length: METERS_PER_EDGE }, (_, m) => `E${edge}-M${m}`);
const scheme = new TopicScheme();
const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

export interface PeerBroker {
  name: 'metergate' | 'mosquitto';
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export const mosquittoInstalled = () => existsSync(MOSQUITTO) && existsSync(MOSQUITTO_PASSWD);

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const users = (edges: number) => ['gw', ...Array.from({ length: edges }, (_, i) => `edge-${i}`)];

export async function startMetergate(edges: number, dir: string): Promise<PeerBroker> {
  // log2 N = 10 (test cost, not the default 14) so 10,000 logins do not dominate the run; the
  // login cost is outside every measured window anyway.
  const hash = await hashPassword(BENCH_PASSWORD, 10);
  const lines = ['users:', `  - { username: gw, role: gateway, password: "${hash}" }`];
  for (let i = 0; i < edges; i++)
    lines.push(
      `  - { username: edge-${i}, role: edge, meters: [${meterIds(i).join(', ')}], password: "${hash}" }`,
    );
  const creds = path.join(dir, 'metergate-credentials.yaml');
  writeFileSync(creds, lines.join('\n') + '\n', { mode: 0o600 });
  const port = await freePort();
  const b = await spawnBroker(
    [
      '--port',
      String(port),
      '--credentials',
      creds,
      '--data-dir',
      path.join(dir, 'metergate-data'),
      '--conn-rate',
      '100000',
      '--conn-burst',
      '100000',
      '--max-connections',
      '50000',
    ],
    { LOG_LEVEL: 'warn' },
  );
  return {
    name: 'metergate',
    port,
    pid: b.pid,
    async stop() {
      await b.stop();
    },
  };
}

/** `maxQueued`: messages Mosquitto queues per offline session (0: no bound; bench scaleout). */
export async function startMosquitto(edges: number, dir: string, maxQueued = 100_000): Promise<PeerBroker> {
  const passwd = path.join(dir, 'mosquitto.passwd');
  writeFileSync(
    passwd,
    users(edges)
      .map((u) => `${u}:${BENCH_PASSWORD}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  // -U hashes a plain user:password file in place (PBKDF2-SHA512, Mosquitto's default).
  await promisify(execFile)(MOSQUITTO_PASSWD, ['-U', passwd]);
  const acl = ['user gw', `topic read ${scheme.prefix}/#`, ''];
  for (let i = 0; i < edges; i++) {
    acl.push(`user edge-${i}`);
    for (const m of meterIds(i)) acl.push(`topic write ${scheme.reading(m)}`);
    acl.push('');
  }
  writeFileSync(path.join(dir, 'mosquitto.acl'), acl.join('\n'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      // Run as whoever runs the bench (as root Mosquitto would switch to its own user and lose
      // access to these 0600 files).
      `user ${os.userInfo().username}`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${path.join(dir, 'mosquitto.acl')}`,
      'max_connections -1',
      `max_queued_messages ${maxQueued}`,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // Ready when the port accepts connections.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${err}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (i > 100) throw new Error(`mosquitto did not listen on ${port}: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name: 'mosquitto',
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** MQTT 3.1.1 §3.1 CONNECT with clean session, username and password (enough for idle clients). */
function connectPacket(clientId: string, username: string, password: string, keepalive: number): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s);
    const out = Buffer.alloc(2 + b.length);
    out.writeUInt16BE(b.length, 0);
    b.copy(out, 2);
    return out;
  };
  const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0xc2, keepalive >> 8, keepalive & 0xff]);
  const body = Buffer.concat([variable, str(clientId), str(username), str(password)]);
  // §2.2.3 remaining length: 7 bits per byte, continuation bit 0x80.
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...len]), body]);
}

/**
 * Open `count` idle MQTT connections (clean session, keepalive 600 s) as the edges, `parallel` at a
 * time; resolves with the sockets once each got CONNACK 0.
 */
export async function openIdle(
  port: number,
  count: number,
  edges: number,
  parallel = 200,
): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.setNoDelay(true);
      s.once('error', reject);
      s.once('connect', () => s.write(connectPacket(`idle-${i}`, `edge-${i % edges}`, BENCH_PASSWORD, 600)));
      s.once('data', (d) => {
        // CONNACK: 0x20 0x02 flags returnCode [MQTT-3.2]
        if (d[0] !== 0x20 || d[3] !== 0) return reject(new Error(`CONNACK ${d[3]} for idle-${i}`));
        sockets.push(s);
        resolve();
      });
    });
  const workers = Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) await one(next++);
  });
  await Promise.all(workers);
  return sockets;
}

export function closeAll(sockets: net.Socket[]): void {
  for (const s of sockets) s.destroy();
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-bench-broker-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
