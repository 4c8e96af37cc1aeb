import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Aedes, type Client } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../protocol/index.js';
import { FileOutbox } from '../outbox/file-outbox.js';
import { MqttPublisher } from './publisher.js';

// Embedded aedes (unit tier): broker-side control over the edge's connection, which a real broker
// process does not give. The real-broker outage is in store-forward.int.test.ts.
async function embeddedBroker() {
  const broker = await Aedes.createBroker();
  const clients = new Map<string, Client>();
  broker.on('client', (c) => clients.set(c.id, c));
  const server = net.createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    clients,
    close: () => new Promise<void>((r) => server.close(() => broker.close(() => r()))),
  };
}

const waitFor = async (check: () => boolean, what: string, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('MqttPublisher', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup() {
    const b = await embeddedBroker();
    cleanups.push(b.close);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-pub-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const outbox = new FileOutbox({ dir, maxBytes: 1 << 20, maxAgeHours: 1 });
    await outbox.start();
    cleanups.push(() => outbox.stop());
    const topics = new TopicScheme('t/v1');
    const pub = new MqttPublisher({ url: b.url, clientId: 'edge-1', edgeId: 'edge-1', topics, outbox });
    const sub = await mqtt.connectAsync(b.url, { clientId: 'watcher' });
    cleanups.push(() => sub.endAsync(true));
    const readings: Array<{ seq: number; historical?: boolean }> = [];
    const states: boolean[] = [];
    sub.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as { seq: number; historical?: boolean; online: boolean };
      if (topic.endsWith('/reading')) readings.push(body);
      else if (topic === topics.edgeState('edge-1')) states.push(body.online);
    });
    await sub.subscribeAsync(['t/v1/meters/+/reading', 't/v1/edges/+/state'], { qos: 1 });
    return { b, pub, outbox, topics, readings, states };
  }

  it('publishes live readings without `historical`, removes them on PUBACK, and says online', async () => {
    const { pub, outbox, topics, readings, states } = await setup();
    await pub.start();
    cleanups.push(() => pub.stop());
    await waitFor(() => pub.isConnected, 'connect');
    for (let i = 0; i < 5; i++) pub.enqueue(topics.reading('m1'), { v: 1, meter: 'm1', seq: i });
    await waitFor(() => readings.length === 5 && outbox.stats().depth === 0, 'delivery');
    expect(readings.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(readings.some((r) => r.historical)).toBe(false);
    expect(states).toContain(true);
  });

  it('keeps readings through a dropped connection, replays them as historical, and the will says offline', async () => {
    const { b, pub, outbox, topics, readings, states } = await setup();
    await pub.start();
    cleanups.push(() => pub.stop());
    await waitFor(() => pub.isConnected, 'connect');
    pub.enqueue(topics.reading('m1'), { v: 1, meter: 'm1', seq: 0 });
    await waitFor(() => readings.length === 1, 'first reading');
    // The broker loses the edge without a DISCONNECT: the last will must fire.
    b.clients.get('edge-1')!.conn.destroy();
    await waitFor(() => !pub.isConnected, 'disconnect noticed');
    for (let i = 1; i <= 3; i++) pub.enqueue(topics.reading('m1'), { v: 1, meter: 'm1', seq: i });
    expect(outbox.stats().depth).toBe(3);
    await waitFor(() => states.includes(false), 'last will online:false');
    await waitFor(
      () => readings.length === 4 && outbox.stats().depth === 0,
      'replay after reconnect',
      15_000,
    );
    expect(readings.slice(1).every((r) => r.historical === true)).toBe(true);
    expect(readings[0]!.historical).toBeUndefined();
    expect(states.at(-1)).toBe(true); // back online after the reconnect
  });

  it('publishes online:false (retained) on a clean stop', async () => {
    const { pub, states } = await setup();
    await pub.start();
    await waitFor(() => pub.isConnected, 'connect');
    await pub.stop();
    await waitFor(() => states.at(-1) === false, 'offline state');
  });

  it('keeps a persistent session: a command sent while the edge is away arrives when it reconnects', async () => {
    const { b, outbox, topics } = await setup();
    const got: string[] = [];
    const make = () =>
      new MqttPublisher({
        url: b.url,
        clientId: 'edge-cmd',
        edgeId: 'edge-cmd',
        topics,
        outbox,
        subscriptions: [topics.command('m1', 'x').replace(/x$/, '+')],
        onMessage: (_t, payload) => got.push(payload.toString()),
      });
    const first = make();
    await first.start();
    await waitFor(() => first.isConnected, 'connect');
    const gw = await mqtt.connectAsync(b.url, { clientId: 'gw' });
    cleanups.push(() => gw.endAsync(true));
    // The subscription is in place once a live command comes through.
    await waitFor(() => {
      void gw.publishAsync(topics.command('m1', 'read'), 'live', { qos: 1 });
      return got.includes('live');
    }, 'live command');
    await first.stop();
    await gw.publishAsync(topics.command('m1', 'relay'), 'while-away', { qos: 1 });
    const second = make();
    await second.start();
    cleanups.push(() => second.stop());
    await waitFor(() => got.includes('while-away'), 'queued command');
  });
});
