import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { freePort } from '../test/support/services.js';
import { hashPassword } from './password-hash.js';
import { runRestartCheck } from './restart-check.js';
import { spawnBroker, type SpawnedBroker } from './spawn-broker.js';
import { asUser, connect, eventually, nextMessage, TEST_PASSWORD } from './test-helpers.js';

// `metergate broker` as shipped (a child process): identity-bound client ids and durable sessions.
let dir: string;
let broker: SpawnedBroker;
let url: string;
const open: MqttClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mg-sessions-int-'));
  const hash = await hashPassword(TEST_PASSWORD, 10);
  const creds = path.join(dir, 'credentials.yaml');
  await writeFile(
    creds,
    [
      'users:',
      `  - { username: edge-1, role: edge, meters: [M-1], password: "${hash}" }`,
      `  - { username: gw, role: gateway, password: "${hash}", clientIds: ["metergate-gateway-*"] }`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  broker = await spawnBroker([
    '--port',
    String(port),
    '--credentials',
    creds,
    '--data-dir',
    path.join(dir, 'data'),
  ]);
  url = `mqtt://127.0.0.1:${port}`;
});
afterAll(async () => {
  for (const c of open) c.end(true);
  expect(await broker?.stop()).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

describe('metergate broker: session takeover', () => {
  it('refuses valid edge credentials with the gateway client id; the gateway keeps receiving', async () => {
    for (const clientId of ['gw', 'gw:host-a', 'metergate-gateway-host-a']) {
      const gw = await connect(url, asUser('gw', { clientId, clean: false }));
      open.push(gw);
      await gw.subscribeAsync('metergate/v1/meters/+/reading', { qos: 1 });
      await expect(connect(url, asUser('edge-1', { clientId, clean: false }))).rejects.toThrow(
        /Not authorized/i,
      );
      expect(gw.connected).toBe(true);
      const edge = await connect(url, asUser('edge-1', { clientId: 'edge-1' }));
      open.push(edge);
      const got = nextMessage(gw, 'metergate/v1/meters/M-1/reading', 5000);
      await edge.publishAsync('metergate/v1/meters/M-1/reading', `after ${clientId}`, { qos: 1 });
      expect((await got)?.toString()).toBe(`after ${clientId}`);
    }
    expect(
      await eventually(broker.logs, /"reason":"client-id-taken".*"clientId":"metergate-gateway-host-a"/),
    ).toMatch(/"msg":"broker refused"/);
  });
});

describe('metergate broker: durable sessions', () => {
  it('loses and duplicates nothing of 10,000 queued readings across a clean restart and a kill -9', async () => {
    const r = await runRestartCheck({ messages: 10_000, restarts: 2 });
    expect(r).toMatchObject({ published: 10_000, received: 10_000, lost: 0, duplicates: 0 });
  }, 300_000);
});
