import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload, TopicScheme, type EdgeState } from '../../protocol/index.js';
import { freePort } from '../../test/support/services.js';
import { FileOutbox } from '../outbox/file-outbox.js';
import {
  mosquittoBinary,
  startMosquitto,
  tcpOpen,
  tempDir,
  waitFor,
  type Peer,
} from '../test-peers/peers.js';
import { MqttPublisher } from './publisher.js';

const topics = new TopicScheme('lw/v1');

/** The edge state a new subscriber gets from the broker's retained message. */
async function retainedEdgeState(url: string, edgeId: string): Promise<EdgeState> {
  const sub = await mqtt.connectAsync(url, { clientId: `lw-check-${Date.now()}` });
  try {
    const got = new Promise<EdgeState>((resolve, reject) => {
      sub.on('message', (_t, payload) => {
        const r = decodePayload('edge-state', payload);
        if (r.ok) resolve(r.value);
        else reject(new Error(r.message));
      });
    });
    await sub.subscribeAsync(topics.edgeState(edgeId), { qos: 1 });
    return await got;
  } finally {
    await sub.endAsync(true);
  }
}

// Mosquitto, the broker the edge is deployed against, found the bug: the edge closed its connection
// without DISCONNECT on a clean stop, so the broker published the last will over the clean state.
describe('edge state on mosquitto: a clean stop is not a crash', () => {
  let dir: string;
  let broker: Peer;
  let url: string;

  beforeAll(async () => {
    mosquittoBinary();
    dir = tempDir('mg-lw-');
    const port = await freePort();
    broker = startMosquitto(dir, port);
    await waitFor(() => tcpOpen(port), 10_000, 'mosquitto');
    url = `mqtt://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await broker?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function publisher(edgeId: string): Promise<MqttPublisher> {
    const outbox = new FileOutbox({ dir: path.join(dir, edgeId), maxBytes: 1 << 20, maxAgeHours: 1 });
    await outbox.start();
    const p = new MqttPublisher({ url, clientId: `edge-${edgeId}`, edgeId, topics, outbox });
    await p.start();
    await waitFor(() => p.isConnected, 10_000, 'publisher connected');
    return p;
  }

  it('retains online:false status stopped after stop(), not the last will', async () => {
    const p = await publisher('clean');
    expect(await retainedEdgeState(url, 'clean')).toMatchObject({ online: true, status: 'online' });
    const stoppedAt = new Date().toISOString();
    await p.stop();
    const state = await retainedEdgeState(url, 'clean');
    expect(state).toMatchObject({ online: false, status: 'stopped' });
    expect(state.ts >= stoppedAt).toBe(true); // the will carries the connect time
  });

  it('a connection that dies without DISCONNECT leaves the last will, status lost', async () => {
    const p = await publisher('crash');
    const watch: MqttClient = await mqtt.connectAsync(url, { clientId: 'lw-watch' });
    const seen: EdgeState[] = [];
    watch.on('message', (_t, payload) => {
      const r = decodePayload('edge-state', payload);
      if (r.ok) seen.push(r.value);
    });
    await watch.subscribeAsync(topics.edgeState('crash'), { qos: 1 });
    // Cut the TCP connection under the client, as a crash or a pulled cable does.
    (p as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    await waitFor(() => seen.some((s) => s.status === 'lost'), 10_000, 'the last will');
    expect(seen.find((s) => s.status === 'lost')).toMatchObject({ online: false });
    await p.stop();
    await watch.endAsync(true);
  });
});
