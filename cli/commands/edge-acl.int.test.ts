import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandHandler } from '../../drivers/edge/commands.js';
import { mosquittoEdgeAcl } from '../../drivers/index.js';
import {
  mosquittoBinary,
  startProcess,
  tcpOpen,
  tempDir,
  waitFor,
  type Peer,
} from '../../drivers/test-peers/peers.js';
import { TopicScheme } from '../../protocol/index.js';
import { freePort } from '../../test/support/services.js';
import { main } from '../index.js';
import { captureContext } from '../test-context.js';

/**
 * The ACL an edge gets on Mosquitto, the broker it is deployed against: `metergate edge
 * --mosquitto-acl` prints the stanza, Mosquitto enforces it. Two edges share the broker; each
 * receives the gateway's commands for its own meters only, even when it asks for another's.
 */
const topics = new TopicScheme();
const PASSWORD = 'acl test password';
let dir: string;
let broker: Peer;
let url: string;
const clients: MqttClient[] = [];

async function login(username: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, {
    username,
    password: PASSWORD,
    clientId: `${username}-${clients.length}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  clients.push(c);
  return c;
}

/** Every message the client receives, in order. */
function collect(c: MqttClient): Array<{ topic: string; body: string }> {
  const got: Array<{ topic: string; body: string }> = [];
  c.on('message', (topic, p) => got.push({ topic, body: p.toString() }));
  return got;
}

beforeAll(async () => {
  dir = tempDir('mg-mosq-acl-');
  const edgeYaml = path.join(dir, 'edge.yaml');
  fs.writeFileSync(
    edgeYaml,
    [
      'edgeId: edge-a',
      'broker: { url: "mqtt://127.0.0.1:1", username: edge-a }',
      `outbox: { dir: ${JSON.stringify(path.join(dir, 'outbox'))} }`,
      'meters:',
      '  - { id: MA-1, model: sdm630, interval: 10, transport: { type: tcp, host: 127.0.0.1 } }',
      '  - { id: MA-2, model: sdm630, interval: 10, transport: { type: tcp, host: 127.0.0.1 } }',
      '',
    ].join('\n'),
  );
  const ctx = captureContext();
  expect(await main(['edge', '--config', edgeYaml, '--mosquitto-acl'], ctx)).toBe(0);
  const acl = [
    ctx.out(),
    mosquittoEdgeAcl({ username: 'edge-b', edgeId: 'edge-b', meterIds: ['MB-1'], topics }),
    'user gateway',
    `topic readwrite ${topics.prefix}/#`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'acl'), acl);
  const passwd = path.join(dir, 'passwd');
  fs.writeFileSync(passwd, '');
  for (const u of ['edge-a', 'edge-b', 'gateway'])
    execFileSync('mosquitto_passwd', ['-b', passwd, u, PASSWORD]);
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'mosquitto.conf'),
    [
      `listener ${port} 127.0.0.1`,
      // Started as root, mosquitto would drop to its own user, who cannot read this private dir.
      `user ${os.userInfo().username}`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${path.join(dir, 'acl')}`,
      'log_type error',
      '',
    ].join('\n'),
  );
  broker = startProcess(mosquittoBinary(), ['-c', path.join(dir, 'mosquitto.conf')]);
  await waitFor(() => tcpOpen(port), 10_000, `mosquitto (${broker.output()})`);
  url = `mqtt://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const c of clients) await c.endAsync(true);
  await broker?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('edge ACL on mosquitto', () => {
  it('prints one read line per own meter’s cmd/+ (the filters the edge subscribes to), no meter wildcard', () => {
    const acl = fs.readFileSync(path.join(dir, 'acl'), 'utf8');
    for (const f of CommandHandler.filters(topics, ['MA-1', 'MA-2']))
      expect(acl).toContain(`topic read ${f}\n`);
    expect(acl).not.toMatch(/meters\/\+/);
  });

  it('delivers the gateway’s commands to the edge of the meter only', async () => {
    const a = await login('edge-a');
    const b = await login('edge-b');
    const gotA = collect(a);
    const gotB = collect(b);
    // Each edge subscribes to its own filters, and tries the other edge's meter too.
    await a.subscribeAsync([...CommandHandler.filters(topics, ['MA-1', 'MA-2', 'MB-1'])], { qos: 1 });
    await b.subscribeAsync([...CommandHandler.filters(topics, ['MB-1', 'MA-1'])], { qos: 1 });
    const gw = await login('gateway');
    for (const m of ['MA-1', 'MB-1', 'MA-2'])
      await gw.publishAsync(topics.command(m, 'relay'), m, { qos: 1 });
    // A last command to each edge's own meter, published after the others, marks the end.
    await gw.publishAsync(topics.command('MA-2', 'read'), 'end', { qos: 1 });
    await gw.publishAsync(topics.command('MB-1', 'read'), 'end', { qos: 1 });
    await waitFor(
      async () => gotA.some((x) => x.body === 'end') && gotB.some((x) => x.body === 'end'),
      10_000,
      'end',
    );
    expect(gotA.map((x) => x.body)).toEqual(['MA-1', 'MA-2', 'end']);
    expect(gotB.map((x) => x.body)).toEqual(['MB-1', 'end']);
  });

  it('lets an edge publish readings of its own meters only', async () => {
    const a = await login('edge-a');
    const watch = await login('gateway');
    const got = collect(watch);
    await watch.subscribeAsync(`${topics.prefix}/meters/+/reading`, { qos: 1 });
    await a.publishAsync(topics.reading('MB-1'), 'foreign', { qos: 1 });
    await a.publishAsync(topics.reading('MA-1'), 'own', { qos: 1 });
    await waitFor(async () => got.some((x) => x.body === 'own'), 10_000, 'own reading');
    expect(got.map((x) => x.body)).toEqual(['own']);
  });
});
