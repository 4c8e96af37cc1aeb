import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { TopicScheme } from '../protocol/index.js';
import { hashPassword } from './password-hash.js';
import { spawnBroker, type SpawnedBroker } from './spawn-broker.js';

/**
 * The durability check of issue 21 against the shipped `metergate broker` (a child process): a
 * gateway-like subscriber (persistent session, QoS 1) goes away, an edge publishes `messages`
 * readings (each PUBACKed), the broker restarts `restarts` times (alternately SIGTERM and SIGKILL,
 * so both a clean stop and a crash are covered), then the subscriber comes back and counts what it
 * gets: every sequence number once, none missing. A final marker, published after the restarts
 * while the subscriber is still away, is queued last; aedes replays a session's queue in order, so
 * once the marker arrives everything queued before it (duplicates included) has been delivered:
 * counted without waiting on a clock. Used by broker/sessions.int.test.ts and
 * `metergate bench broker-restart`. Not exported from index.ts.
 */
export interface RestartCheckResult {
  published: number;
  received: number;
  lost: number;
  duplicates: number;
  restarts: number;
  seconds: number;
}

const PASSWORD = 'restart-check-password';
const scheme = new TopicScheme();
const METERS = ['RC-1', 'RC-2', 'RC-3', 'RC-4'];

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function connect(port: number, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      password: PASSWORD,
      ...opts,
    });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

async function publishAll(c: MqttClient, from: number, to: number): Promise<void> {
  const window = 200;
  for (let i = from; i < to; i += window) {
    const batch: Promise<unknown>[] = [];
    for (let s = i; s < Math.min(to, i + window); s++) {
      const meter = METERS[s % METERS.length]!;
      batch.push(c.publishAsync(scheme.reading(meter), JSON.stringify({ seq: s }), { qos: 1 }));
    }
    await Promise.all(batch);
  }
}

export async function runRestartCheck(
  options: { messages?: number; restarts?: number; fsync?: 'always' | 'interval' } = {},
): Promise<RestartCheckResult> {
  const messages = options.messages ?? 10_000;
  const restarts = options.restarts ?? 2;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mg-restart-'));
  const started = performance.now();
  const hash = await hashPassword(PASSWORD, 10);
  const creds = path.join(dir, 'credentials.yaml');
  writeFileSync(
    creds,
    [
      'users:',
      `  - { username: edge-rc, role: edge, meters: [${METERS.join(', ')}], password: "${hash}" }`,
      `  - { username: gw, role: gateway, password: "${hash}" }`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--credentials',
    creds,
    '--data-dir',
    path.join(dir, 'data'),
    '--fsync',
    options.fsync ?? 'interval',
  ];
  let broker: SpawnedBroker | undefined = await spawnBroker(args);
  try {
    const gwOpts = { username: 'gw', clientId: 'gw:restart-check', clean: false };
    const gw = await connect(port, gwOpts);
    await gw.subscribeAsync(scheme.readingFilter(), { qos: 1 });
    gw.end(true);

    const edge = await connect(port, { username: 'edge-rc', clientId: 'edge-rc', clean: true });
    await publishAll(edge, 0, messages);
    edge.end(true);

    for (let r = 0; r < restarts; r++) {
      if (r % 2 === 0) await broker.stop();
      else await broker.kill();
      broker = await spawnBroker(args);
    }

    const pub = await connect(port, { username: 'edge-rc', clientId: 'edge-rc', clean: true });
    await pub.publishAsync(scheme.reading(METERS[0]!), JSON.stringify({ seq: -1 }), { qos: 1 });
    pub.end(true);

    const seen = new Map<number, number>();
    let marker: () => void = () => undefined;
    const markerSeen = new Promise<void>((r) => (marker = r));
    const back = await connect(port, { ...gwOpts, clean: false });
    back.on('message', (_topic, payload) => {
      const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
      if (seq === -1) return marker();
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
    });
    await markerSeen;
    back.end(true);

    let duplicates = 0;
    let received = 0;
    for (const [seq, count] of seen) {
      if (seq >= 0 && seq < messages) received++;
      duplicates += count - 1;
    }
    return {
      published: messages,
      received,
      lost: messages - received,
      duplicates,
      restarts,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
