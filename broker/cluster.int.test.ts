import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { requireRedis, SERVICES } from '../test/support/services.js';
import { createMetergateBroker, type MetergateBroker } from './broker.js';
import { hashPassword } from './password-hash.js';
import { spawnBroker } from './spawn-broker.js';
import { asUser, connect, nextMessage, TEST_PASSWORD, testCredentials } from './test-helpers.js';

/**
 * Two broker nodes sharing one real Redis (mqemitter-redis + aedes-persistence-redis). A unique key
 * and channel prefix per run keeps other users of the same Redis out of the way, and is deleted after.
 */
const prefix = `mg-test-broker-${process.pid}-${randomBytes(4).toString('hex')}:`;
const P = 'metergate/v1';
let a: MetergateBroker;
let b: MetergateBroker;
const open: MqttClient[] = [];

async function node(id: string): Promise<MetergateBroker> {
  const n = createMetergateBroker({
    port: 0,
    id,
    credentials: await testCredentials(),
    redis: { url: SERVICES.redis, keyPrefix: prefix },
  });
  await n.start();
  return n;
}
const urlOf = (n: MetergateBroker) => `mqtt://127.0.0.1:${n.ports.tcp}`;
async function client(n: MetergateBroker, user: string, opts = {}): Promise<MqttClient> {
  const c = await connect(urlOf(n), asUser(user, opts));
  open.push(c);
  return c;
}

beforeAll(async () => {
  await requireRedis();
  a = await node('node-a');
  b = await node('node-b');
});

afterAll(async () => {
  for (const c of open) c.end(true);
  await a?.stop();
  await b?.stop();
  const redis = new Redis(SERVICES.redis);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('Redis-clustered brokers', () => {
  it('delivers a message published on one node to a subscriber on the other', async () => {
    const gw = await client(b, 'gw');
    await gw.subscribeAsync(`${P}/meters/+/reading`, { qos: 1 });
    await new Promise((r) => setTimeout(r, 300)); // subscription reaches node A through Redis
    const edge = await client(a, 'edge-1');
    const got = nextMessage(gw, `${P}/meters/M-1/reading`, 5000);
    await edge.publishAsync(`${P}/meters/M-1/reading`, 'across', { qos: 1 });
    expect((await got)?.toString()).toBe('across');
  });

  it('keeps a QoS 1 persistent session across nodes: messages sent while offline arrive on reconnect elsewhere', async () => {
    const opts = { clientId: 'gw-persistent', clean: false };
    const first = await client(b, 'gw', opts);
    await first.subscribeAsync(`${P}/meters/M-2/reading`, { qos: 1 });
    await new Promise<void>((r) => first.end(false, {}, () => r()));
    await new Promise((r) => setTimeout(r, 300));

    const edge = await client(a, 'edge-1');
    await edge.publishAsync(`${P}/meters/M-2/reading`, 'while-offline-1', { qos: 1 });
    await edge.publishAsync(`${P}/meters/M-2/reading`, 'while-offline-2', { qos: 1 });

    // Reconnect to the *other* node with the same client id and clean: false.
    const received: string[] = [];
    const second = mqtt.connect(urlOf(a), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      ...asUser('gw', opts),
    });
    open.push(second);
    // Listen before CONNACK: queued messages follow it immediately.
    second.on('message', (_t, p) => received.push(p.toString()));
    await new Promise((resolve, reject) => {
      second.once('connect', resolve);
      second.once('error', reject);
    });
    expect(second.connected).toBe(true);
    const until = Date.now() + 5000;
    while (received.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(received.sort()).toEqual(['while-offline-1', 'while-offline-2']);
  });

  it('serves a retained state stored through one node to a new subscriber on the other', async () => {
    const edge = await client(a, 'edge-1');
    // Retained states must pass the protocol schema (retain-policy.ts).
    const state = JSON.stringify({ v: 1, edge: 'edge-1', ts: '2026-01-01T00:00:00.000Z', online: true });
    await edge.publishAsync(`${P}/edges/edge-1/state`, state, { qos: 1, retain: true });
    const dash = await client(b, 'dash');
    const got = nextMessage(dash, `${P}/edges/edge-1/state`, 5000);
    await dash.subscribeAsync(`${P}/edges/+/state`, { qos: 1 });
    expect((await got)?.toString()).toBe(state);
  });

  it('joins the cluster from the CLI (metergate broker --redis --redis-prefix)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mg-cluster-cli-'));
    const creds = path.join(dir, 'credentials.json');
    const hash = await hashPassword(TEST_PASSWORD, 10);
    await writeFile(
      creds,
      JSON.stringify({ users: [{ username: 'edge-1', role: 'edge', meters: ['M-5'], password: hash }] }),
    );
    const cli = await spawnBroker([
      '--port',
      '0',
      '--credentials',
      creds,
      '--redis',
      SERVICES.redis,
      '--redis-prefix',
      prefix,
    ]);
    try {
      const gw = await client(b, 'gw');
      await gw.subscribeAsync(`${P}/meters/M-5/reading`, { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      const edge = await connect(`mqtt://127.0.0.1:${cli.ports.tcp}`, asUser('edge-1'));
      const got = nextMessage(gw, `${P}/meters/M-5/reading`, 5000);
      await edge.publishAsync(`${P}/meters/M-5/reading`, 'from-cli-node', { qos: 1 });
      expect((await got)?.toString()).toBe('from-cli-node');
      edge.end(true);
      expect(cli.logs()).toContain('"clustered":true');
    } finally {
      expect(await cli.stop()).toBe(0);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
