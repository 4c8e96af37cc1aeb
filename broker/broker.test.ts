import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createMetergateBroker, type MetergateBroker } from './broker.js';
import { asUser, closed, connect, nextMessage, subackCodes, testCredentials } from './test-helpers.js';

// Embedded broker on loopback with mqtt.js clients: every hook runs for real, no mocks.
let broker: MetergateBroker;
let url: string;
let wsUrl: string;
const open: MqttClient[] = [];
async function client(opts: Parameters<typeof connect>[1] = {}): Promise<MqttClient> {
  const c = await connect(url, opts);
  open.push(c);
  return c;
}
const refusals = (r: string) => broker.metrics.stats.refusals[r as 'anonymous'];

beforeAll(async () => {
  broker = createMetergateBroker({
    port: 0,
    ws: { port: 0 },
    credentials: await testCredentials(),
    limits: { maxPayloadBytes: 4096, connectionRate: { perSecond: 1000, burst: 1000 } },
  });
  await broker.start();
  url = `mqtt://127.0.0.1:${broker.ports.tcp}`;
  wsUrl = `ws://127.0.0.1:${broker.ports.ws}`;
});
afterAll(async () => {
  for (const c of open) c.end(true);
  await broker.stop();
});

describe('identity', () => {
  it('refuses anonymous clients with CONNACK not authorized', async () => {
    await expect(connect(url)).rejects.toThrow(/Not authorized/i);
    expect(refusals('anonymous')).toBeGreaterThan(0);
  });
  it('refuses a wrong password and an unknown user', async () => {
    await expect(connect(url, { username: 'edge-1', password: 'nope' })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(connect(url, asUser('ghost'))).rejects.toThrow(/Bad username or password/i);
    expect(refusals('bad-credentials')).toBe(1);
    expect(refusals('unknown-user')).toBe(1);
  });
  it('accepts valid credentials', async () => {
    const c = await client(asUser('edge-1'));
    expect(c.connected).toBe(true);
  });
});

describe('--allow-anonymous', () => {
  it('admits anonymous clients with the least-privilege role only', async () => {
    const b = createMetergateBroker({ port: 0, allowAnonymous: true });
    await b.start();
    try {
      const u = `mqtt://127.0.0.1:${b.ports.tcp}`;
      const anon = await connect(u);
      expect(
        await subackCodes(anon, ['metergate/v1/meters/+/reading', 'metergate/v1/meters/+/cmd/#']),
      ).toEqual([0, 128]);
      anon.publish('metergate/v1/meters/M-1/reading', 'x', { qos: 1 });
      expect(await closed(anon)).toBe(true);
      // A password login without a credential store is refused, not waved through as anonymous.
      await expect(connect(u, asUser('gw'))).rejects.toThrow(/Bad username or password/i);
    } finally {
      await b.stop();
    }
  });
});

describe('publish ACL', () => {
  it('delivers an edge reading for its own meter to the gateway, counts in and out', async () => {
    const gw = await client(asUser('gw'));
    await gw.subscribeAsync('metergate/v1/meters/+/reading', { qos: 1 });
    const edge = await client(asUser('edge-1'));
    const got = nextMessage(gw, 'metergate/v1/meters/M-2/reading');
    const inBefore = broker.metrics.stats.messagesIn;
    await edge.publishAsync('metergate/v1/meters/M-2/reading', '{"x":1}', { qos: 1 });
    expect((await got)?.toString()).toBe('{"x":1}');
    expect(broker.metrics.stats.messagesIn).toBe(inBefore + 1);
    expect(broker.metrics.stats.messagesOut).toBeGreaterThan(0);
  });

  it('refuses a cross-meter publish, closes the publisher and delivers nothing', async () => {
    const gw = await client(asUser('gw'));
    await gw.subscribeAsync('metergate/v1/#', { qos: 1 });
    const edge = await client(asUser('edge-1'));
    const got = nextMessage(gw, 'metergate/v1/meters/M-3/reading', 800);
    edge.publish('metergate/v1/meters/M-3/reading', 'forged', { qos: 1 });
    expect(await closed(edge)).toBe(true);
    expect(await got).toBeUndefined();
    expect(refusals('acl-publish')).toBeGreaterThan(0);
  });

  it('refuses cmd from a non-gateway and dashboard publishes', async () => {
    const edge = await client(asUser('edge-1'));
    edge.publish('metergate/v1/meters/M-1/cmd/token', '{}', { qos: 1 });
    expect(await closed(edge)).toBe(true);
    const dash = await client(asUser('dash'));
    dash.publish('metergate/v1/meters/M-1/reading', '{}', { qos: 0 });
    expect(await closed(dash)).toBe(true);
  });

  it('lets the gateway publish cmd to the meter, which receives its own cmd', async () => {
    const meter = await client(asUser('M-1'));
    const granted = await meter.subscribeAsync('metergate/v1/meters/M-1/cmd/#', { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    const gw = await client(asUser('gw'));
    const got = nextMessage(meter, 'metergate/v1/meters/M-1/cmd/token');
    await gw.publishAsync('metergate/v1/meters/M-1/cmd/token', 'T', { qos: 1 });
    expect((await got)?.toString()).toBe('T');
  });
});

describe('last will', () => {
  it("publishes an edge's own last-will state when it drops, and never a forged one", async () => {
    const gw = await client(asUser('gw'));
    await gw.subscribeAsync('metergate/v1/edges/+/state', { qos: 1 });
    const will = (edgeId: string) => ({
      topic: `metergate/v1/edges/${edgeId}/state`,
      payload: Buffer.from(`offline-${edgeId}`),
      qos: 1 as const,
      retain: false,
    });
    const honest = await client(asUser('edge-1', { will: will('edge-1') }));
    const got = nextMessage(gw, 'metergate/v1/edges/edge-1/state', 3000);
    (honest as unknown as { stream: { destroy(): void } }).stream.destroy(); // drop without DISCONNECT
    expect((await got)?.toString()).toBe('offline-edge-1');

    // A will on another edge's topic is refused at CONNECT, before it could ever be published.
    const forged = nextMessage(gw, 'metergate/v1/edges/edge-2/state', 1000);
    await expect(connect(url, asUser('edge-1', { will: will('edge-2') }))).rejects.toThrow(/Not authorized/i);
    expect(await forged).toBeUndefined();
  });
});

describe('subscribe ACL', () => {
  it('answers SUBACK 0x80 for filters the identity may not read and keeps the connection', async () => {
    const dash = await client(asUser('dash'));
    const codes = await subackCodes(dash, [
      'metergate/v1/meters/+/reading',
      '#',
      'metergate/v1/meters/M-1/cmd/#',
    ]);
    expect(codes).toEqual([0, 128, 128]);
    expect(dash.connected).toBe(true);
    const meter = await client(asUser('M-1'));
    expect(
      await subackCodes(meter, ['metergate/v1/meters/M-2/cmd/#', 'metergate/v1/meters/M-1/state'], 1),
    ).toEqual([128, 1]);
  });
});

describe('limits', () => {
  it('closes a client whose packet is larger than the limit, other clients unaffected', async () => {
    const gw = await client(asUser('gw'));
    await gw.subscribeAsync('metergate/v1/meters/M-1/reading', { qos: 1 });
    const big = await client(asUser('edge-1'));
    const before = refusals('packet-too-large');
    big.publish('metergate/v1/meters/M-1/reading', Buffer.alloc(200_000, 1), { qos: 1 });
    expect(await closed(big)).toBe(true);
    expect(refusals('packet-too-large')).toBe(before + 1);
    const ok = await client(asUser('edge-1'));
    const got = nextMessage(gw, 'metergate/v1/meters/M-1/reading');
    await ok.publishAsync('metergate/v1/meters/M-1/reading', 'still fine', { qos: 1 });
    expect((await got)?.toString()).toBe('still fine');
  });

  it('refuses a payload just over maxPayloadBytes that fits the packet limit', async () => {
    const c = await client(asUser('edge-1'));
    c.publish('metergate/v1/meters/M-1/reading', Buffer.alloc(4097, 1), { qos: 1 });
    expect(await closed(c)).toBe(true);
    expect(refusals('payload-too-large')).toBe(1);
  });

  it('refuses a 1,000-level topic', async () => {
    const c = await client(asUser('edge-1'));
    c.publish(Array.from({ length: 1000 }, () => 'a').join('/'), 'x', { qos: 0 });
    expect(await closed(c)).toBe(true);
    expect(refusals('too-many-levels')).toBeGreaterThan(0);
  });

  it('refuses keepalive 0 and keepalive above the bound', async () => {
    await expect(connect(url, asUser('edge-1', { keepalive: 0 }))).rejects.toThrow();
    await expect(connect(url, asUser('edge-1', { keepalive: 5000 }))).rejects.toThrow();
  });

  it('installs the packet-size guard on the aedes parser (fails on an aedes upgrade that moves it)', async () => {
    const sock = net.connect(broker.ports.tcp!, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    // CONNECT fixed header declaring a 100 MiB remaining length: refused from the header alone.
    const len = 100 * 1024 * 1024;
    const varint: number[] = [];
    let x = len;
    do {
      let b = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) b |= 0x80;
      varint.push(b);
    } while (x > 0);
    sock.write(Buffer.from([0x10, ...varint]));
    await new Promise((r) => sock.once('close', r));
    expect(sock.destroyed).toBe(true);
  });
});

describe('slow consumers', () => {
  it('disconnects a subscriber that stops reading once its write buffer passes the bound', async () => {
    const b = createMetergateBroker({
      port: 0,
      credentials: await testCredentials(),
      limits: { maxClientBufferBytes: 256 * 1024, maxPayloadBytes: 64 * 1024 },
    });
    await b.start();
    const u = `mqtt://127.0.0.1:${b.ports.tcp}`;
    const slow = await connect(u, asUser('dash'));
    await slow.subscribeAsync('metergate/v1/meters/+/reading', { qos: 0 });
    (slow as unknown as { stream: { pause(): void } }).stream.pause(); // stop reading the socket
    const edge = await connect(u, asUser('edge-1'));
    const chunk = Buffer.alloc(60 * 1024, 0x61);
    for (let i = 0; i < 400 && b.metrics.stats.refusals['slow-consumer'] === 0; i++) {
      await edge.publishAsync('metergate/v1/meters/M-1/reading', chunk, { qos: 1 });
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 50));
    }
    const until = Date.now() + 5000;
    while (b.metrics.stats.refusals['slow-consumer'] === 0 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(b.metrics.stats.refusals['slow-consumer']).toBe(1);
    expect(edge.connected).toBe(true); // the publisher is not punished
    edge.end(true);
    slow.end(true);
    await b.stop();
  });
});

describe('WebSocket listener', () => {
  it('serves MQTT over WebSocket with the same auth', async () => {
    const dash = await connect(wsUrl, asUser('dash'));
    open.push(dash);
    await dash.subscribeAsync('metergate/v1/meters/+/state', { qos: 0 });
    const gw = await client(asUser('gw'));
    const got = nextMessage(dash, 'metergate/v1/meters/M-1/state');
    await gw.publishAsync('metergate/v1/meters/M-1/state', 'online', { qos: 0 });
    expect((await got)?.toString()).toBe('online');
    await expect(connect(wsUrl)).rejects.toThrow(/Not authorized/i);
  });
});

describe('metrics', () => {
  it('exposes clients, messages, refusals by reason and queue depths in Prometheus text', async () => {
    const text = await broker.metrics.registry.metrics();
    expect(text).toMatch(/metergate_broker_connected_clients \d+/);
    expect(text).toMatch(/metergate_broker_messages_in_total [1-9]/);
    expect(text).toMatch(/metergate_broker_refusals_total\{reason="acl-publish"\} [1-9]/);
    expect(text).toMatch(/metergate_broker_queue_bytes\{agg="max"\} \d+/);
  });
});
