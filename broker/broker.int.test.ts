import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { freePort, requireCommand } from '../test/support/services.js';
import { createMetergateBroker } from './broker.js';
import { CA_FILES, initCa, issueDeviceCertificate, revokeCertificate } from './device-ca.js';
import { hashPassword } from './password-hash.js';
import { spawnBroker, type SpawnedBroker } from './spawn-broker.js';
import {
  asUser,
  closed,
  connect,
  eventually,
  nextMessage,
  TEST_PASSWORD,
  testCredentials,
} from './test-helpers.js';

/**
 * The broker as shipped (`metergate broker`, a child process) against independent MQTT clients:
 * Debian's mosquitto_pub / mosquitto_sub (libmosquitto, OpenSSL) and mqtt.js.
 */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], input?: string | Buffer): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: 20_000, encoding: 'buffer', maxBuffer: 1 << 20 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/metergate');
let dir: string;
let caDir: string;
let broker: SpawnedBroker;
let port: number;
let tlsPort: number;
const P = 'metergate/v1';
const open: MqttClient[] = [];

const user = (name: string) => ['-u', name, '-P', TEST_PASSWORD];
const sub = (topic: string, extra: string[] = []) =>
  run('mosquitto_sub', [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    ...user('gw'),
    '-t',
    topic,
    '-C',
    '1',
    '-W',
    '8',
    ...extra,
  ]);
// mosquitto_sub needs a moment to subscribe before the publish; it exits after one message (-C 1).
const settle = () => new Promise((r) => setTimeout(r, 700));

beforeAll(async () => {
  requireCommand('mosquitto_pub', 'mosquitto-clients');
  requireCommand('mosquitto_sub', 'mosquitto-clients');
  requireCommand('openssl');
  dir = await mkdtemp(path.join(os.tmpdir(), 'mg-broker-int-'));
  caDir = path.join(dir, 'ca');
  // The CA comes from the CLI as an operator would make it; openssl (independent) checks the chain.
  const init = await run(process.execPath, [
    BIN,
    'ca',
    'init',
    '--dir',
    caDir,
    '--server-host',
    'localhost,127.0.0.1',
  ]);
  expect(init.code, init.stderr).toBe(0);
  expect(init.stdout).not.toMatch(/PRIVATE KEY/);
  const issued = await run(process.execPath, [
    BIN,
    'ca',
    'issue',
    '--dir',
    caDir,
    '--edge',
    'edge-cli',
    '--days',
    '7',
  ]);
  expect(issued.code, issued.stderr).toBe(0);
  const { cert } = JSON.parse(issued.stdout) as { cert: string };
  const verify = await run('openssl', [
    'verify',
    '-CAfile',
    path.join(caDir, CA_FILES.cert),
    '-purpose',
    'sslclient',
    cert,
  ]);
  expect(verify.stdout.trim()).toBe(`${cert}: OK`);
  const hash = await hashPassword(TEST_PASSWORD, 10);
  const creds = path.join(dir, 'credentials.yaml');
  await writeFile(
    creds,
    [
      'users:',
      `  - { username: edge-1, role: edge, meters: [M-1, M-2], password: "${hash}" }`,
      `  - { username: gw, role: gateway, password: "${hash}" }`,
      `  - { username: dash, role: dashboard, password: "${hash}" }`,
      '  - { username: edge-tls, role: edge, meters: [M-7] }',
      '',
    ].join('\n'),
  );
  [port, tlsPort] = [await freePort(), await freePort()];
  broker = await spawnBroker([
    '--port',
    String(port),
    '--tls-port',
    String(tlsPort),
    '--ca-dir',
    caDir,
    '--credentials',
    creds,
    '--max-payload',
    '65536',
    '--conn-rate',
    '200',
    '--conn-burst',
    '200',
  ]);
});

afterAll(async () => {
  for (const c of open) c.end(true);
  const code = await broker?.stop();
  expect(code).toBe(0); // clean shutdown on SIGTERM
  await rm(dir, { recursive: true, force: true });
});

describe('mosquitto clients against metergate broker', () => {
  it('mosquitto_pub with edge credentials reaches mosquitto_sub with gateway credentials', async () => {
    const got = sub(`${P}/meters/+/reading`, ['-v']);
    await settle();
    const pub = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      ...user('edge-1'),
      '-q',
      '1',
      '-t',
      `${P}/meters/M-1/reading`,
      '-m',
      '{"v":1}',
    ]);
    expect(pub.code).toBe(0);
    const r = await got;
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`${P}/meters/M-1/reading {"v":1}`);
  });

  it('refuses mosquitto_pub and mosquitto_sub without credentials or with a wrong password', async () => {
    const anon = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      `${P}/meters/M-1/reading`,
      '-m',
      'x',
    ]);
    expect(anon.code).not.toBe(0);
    expect(anon.stderr).toMatch(/not authori[sz]ed/i);
    const wrong = await run('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-u',
      'gw',
      '-P',
      'wrong',
      '-t',
      '#',
      '-W',
      '3',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/bad user ?name or password|not authori[sz]ed/i);
    expect(await eventually(broker.logs, /"reason":"anonymous"/)).toMatch(/"reason":"anonymous"/);
    expect(await eventually(broker.logs, /"reason":"bad-credentials"/)).toMatch(/"reason":"bad-credentials"/);
  });

  it('refuses a cross-meter publish, logs client id and topic, and does not deliver it', async () => {
    const got = sub(`${P}/meters/M-3/reading`, ['-W', '4']);
    await settle();
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      ...user('edge-1'),
      '-i',
      'edge-1-forger',
      '-q',
      '1',
      '-t',
      `${P}/meters/M-3/reading`,
      '-m',
      'forged',
    ]);
    const r = await got;
    expect(r.stdout).not.toContain('forged'); // mosquitto_sub timed out with nothing
    const line = broker
      .logs()
      .split('\n')
      .find((l) => l.includes('"reason":"acl-publish"'));
    expect(line).toBeDefined();
    expect(line).toContain('"clientId":"edge-1-forger"');
    expect(line).toContain(`"topic":"${P}/meters/M-3/reading"`);
  });

  it('refuses an oversized payload and a 1,000-level topic without hurting a connected subscriber', async () => {
    const watcher = await connect(`mqtt://127.0.0.1:${port}`, asUser('gw'));
    open.push(watcher);
    await watcher.subscribeAsync(`${P}/meters/M-2/reading`, { qos: 1 });
    const big = await run(
      'mosquitto_pub',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        ...user('edge-1'),
        '-q',
        '1',
        '-t',
        `${P}/meters/M-2/reading`,
        '-s',
      ],
      Buffer.alloc(512 * 1024, 0x41),
    );
    expect(big.code).not.toBe(0);
    const deep = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      ...user('edge-1'),
      '-q',
      '1',
      '-t',
      Array(1000).fill('a').join('/'),
      '-m',
      'x',
    ]);
    expect(deep.code).not.toBe(0);
    expect(await eventually(broker.logs, /"reason":"packet-too-large"/)).toMatch(
      /"reason":"packet-too-large"/,
    );
    expect(await eventually(broker.logs, /"reason":"too-many-levels"/)).toMatch(/"reason":"too-many-levels"/);
    expect(watcher.connected).toBe(true);
    const got = nextMessage(watcher, `${P}/meters/M-2/reading`, 5000);
    const ok = await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      ...user('edge-1'),
      '-q',
      '1',
      '-t',
      `${P}/meters/M-2/reading`,
      '-m',
      'after',
    ]);
    expect(ok.code).toBe(0);
    expect((await got)?.toString()).toBe('after');
  });
});

describe('TLS with device certificates', () => {
  const tlsArgs = () => [
    '-h',
    '127.0.0.1',
    '-p',
    String(tlsPort),
    '--cafile',
    path.join(caDir, CA_FILES.cert),
  ];

  it('mosquitto_pub with a CA-issued edge certificate publishes for its meter', async () => {
    const cert = await issueDeviceCertificate({ dir: caDir, role: 'edge', id: 'edge-tls', outDir: dir });
    const got = sub(`${P}/meters/M-7/reading`);
    await settle();
    const pub = await run('mosquitto_pub', [
      ...tlsArgs(),
      '--cert',
      cert.certFile,
      '--key',
      cert.keyFile,
      '-q',
      '1',
      '-t',
      `${P}/meters/M-7/reading`,
      '-m',
      'via-tls',
    ]);
    expect(pub.stderr).toBe('');
    expect(pub.code).toBe(0);
    expect((await got).stdout.trim()).toBe('via-tls');
  });

  it('mqtt.js with a CA-issued certificate connects; the identity comes from the certificate', async () => {
    const cert = await issueDeviceCertificate({ dir: caDir, role: 'dashboard', id: 'wall', outDir: dir });
    const c = await connect(`mqtts://127.0.0.1:${tlsPort}`, {
      ca: await readFile(path.join(caDir, CA_FILES.cert)),
      cert: await readFile(cert.certFile),
      key: await readFile(cert.keyFile),
    });
    open.push(c);
    expect(c.connected).toBe(true);
    // A dashboard certificate is read-only: its publish is refused.
    c.publish(`${P}/meters/M-7/reading`, 'x', { qos: 1 });
    expect(await closed(c)).toBe(true);
  });

  it('refuses an expired, a revoked and a foreign-CA certificate', async () => {
    const ca = await readFile(path.join(caDir, CA_FILES.cert));
    const expired = await issueDeviceCertificate({
      dir: caDir,
      role: 'edge',
      id: 'edge-old',
      outDir: path.join(dir, 'old'),
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const pubExpired = await run('mosquitto_pub', [
      ...tlsArgs(),
      '--cert',
      expired.certFile,
      '--key',
      expired.keyFile,
      '-t',
      `${P}/edges/edge-old/state`,
      '-m',
      'x',
    ]);
    expect(pubExpired.code).not.toBe(0);

    const revoked = await issueDeviceCertificate({
      dir: caDir,
      role: 'edge',
      id: 'edge-rev',
      outDir: path.join(dir, 'rev'),
    });
    const before = await connect(`mqtts://127.0.0.1:${tlsPort}`, {
      ca,
      cert: await readFile(revoked.certFile),
      key: await readFile(revoked.keyFile),
    });
    before.end(true);
    await revokeCertificate({ dir: caDir, certFile: revoked.certFile });
    await expect(
      connect(`mqtts://127.0.0.1:${tlsPort}`, {
        ca,
        cert: await readFile(revoked.certFile),
        key: await readFile(revoked.keyFile),
      }),
    ).rejects.toThrow(/Not authorized/i);
    const pubRevoked = await run('mosquitto_pub', [
      ...tlsArgs(),
      '--cert',
      revoked.certFile,
      '--key',
      revoked.keyFile,
      '-t',
      `${P}/edges/edge-rev/state`,
      '-m',
      'x',
    ]);
    expect(pubRevoked.code).not.toBe(0);

    const foreignDir = path.join(dir, 'foreign');
    await initCa({ dir: foreignDir });
    const foreign = await issueDeviceCertificate({ dir: foreignDir, role: 'gateway', id: 'gw' });
    const pubForeign = await run('mosquitto_pub', [
      ...tlsArgs(),
      '--cert',
      foreign.certFile,
      '--key',
      foreign.keyFile,
      '-t',
      `${P}/meters/M-1/cmd/token`,
      '-m',
      'x',
    ]);
    expect(pubForeign.code).not.toBe(0);
    await expect(
      connect(`mqtts://127.0.0.1:${tlsPort}`, {
        ca,
        cert: await readFile(foreign.certFile),
        key: await readFile(foreign.keyFile),
      }),
    ).rejects.toThrow();

    const logs = await eventually(broker.logs, /revoked-certificate[\s\S]*|CERT_HAS_EXPIRED/);
    expect(logs).toMatch(/"reason":"revoked-certificate"/);
    expect(logs).toMatch(/"reason":"bad-certificate".*certificate has expired|CERT_HAS_EXPIRED/i);
  });
});

describe('connection flood', () => {
  it('bounds a flood of connections from one address; an established client keeps working', async () => {
    const b = createMetergateBroker({
      port: 0,
      credentials: await testCredentials(),
      limits: { connectionRate: { perSecond: 5, burst: 20 }, maxConnections: 1000 },
    });
    await b.start();
    try {
      const url = `mqtt://127.0.0.1:${b.ports.tcp}`;
      const gw = await connect(url, asUser('gw'));
      await gw.subscribeAsync(`${P}/meters/M-1/reading`, { qos: 1 });
      const sockets = await Promise.all(
        Array.from(
          { length: 300 },
          () =>
            new Promise<net.Socket>((resolve) => {
              const s = net.connect(b.ports.tcp!, '127.0.0.1');
              s.on('error', () => undefined);
              s.once('connect', () => resolve(s));
              s.once('close', () => resolve(s));
            }),
        ),
      );
      // The server side is authoritative: refused sockets never count as open. Wait until it has
      // accepted or refused every one (the kernel completes handshakes before the broker sees them).
      const st = b.metrics.stats;
      for (let i = 0; i < 100 && st.refusals['rate-limited'] + st.openConnections < 301; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(b.metrics.stats.refusals['rate-limited']).toBeGreaterThanOrEqual(270);
      expect(b.metrics.stats.openConnections).toBeLessThanOrEqual(26);
      // Client side: every refused socket is closed by the broker (FINs may take a moment under load).
      const until = Date.now() + 10_000;
      while (sockets.filter((s) => !s.closed).length > 25 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(sockets.filter((s) => !s.closed).length).toBeLessThanOrEqual(25);
      for (const s of sockets) s.destroy();
      // The established client is unaffected.
      const got = nextMessage(gw, `${P}/meters/M-1/reading`, 5000);
      await new Promise((r) => setTimeout(r, 1000)); // let the bucket refill for one new client
      const edge = await connect(url, asUser('edge-1'));
      await edge.publishAsync(`${P}/meters/M-1/reading`, 'still here', { qos: 1 });
      expect((await got)?.toString()).toBe('still here');
      edge.end(true);
      gw.end(true);
    } finally {
      await b.stop();
    }
  });

  it('caps open connections per node', async () => {
    const b = createMetergateBroker({
      port: 0,
      credentials: await testCredentials(),
      limits: { maxConnections: 5 },
    });
    await b.start();
    try {
      const sockets = await Promise.all(
        Array.from(
          { length: 12 },
          () =>
            new Promise<net.Socket>((resolve) => {
              const s = net.connect(b.ports.tcp!, '127.0.0.1');
              s.on('error', () => undefined);
              s.once('connect', () => setTimeout(() => resolve(s), 100));
            }),
        ),
      );
      expect(sockets.filter((s) => !s.destroyed && !s.closed).length).toBe(5);
      expect(b.metrics.stats.refusals['max-connections']).toBe(7);
      for (const s of sockets) s.destroy();
    } finally {
      await b.stop();
    }
  });
});
