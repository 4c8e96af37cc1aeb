import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker } from './test-broker.js';
import type { BusMessage } from './message-bus.js';
import { topicMatches } from './message-bus.js';
import { MqttBus } from './mqtt-bus.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MqttBus (mqtt.js against in-process aedes)', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('matches MQTT topic filters', () => {
    expect(topicMatches('a/+/c', 'a/b/c')).toBe(true);
    expect(topicMatches('a/#', 'a/b/c')).toBe(true);
    expect(topicMatches('a/+', 'a/b/c')).toBe(false);
    expect(topicMatches('a/b', 'a/b/c')).toBe(false);
  });

  it('falls back to MQTT 3.1.1 on a broker without MQTT 5 and sends PUBACKs only when acked, in arrival order', async () => {
    const bus = new MqttBus({ url: broker.url, clientId: 'bus-order', clean: true });
    await bus.start();
    expect(bus.protocolVersion).toBe(4);
    const got: BusMessage[] = [];
    await bus.subscribe('order/+', (m) => void got.push(m), { manualAck: true });
    const acks: number[] = [];
    broker.broker.on('ack', (_packet, client) => {
      // aedes 1.x reports the PUBACK but not which packet it acknowledged: count them
      if (client?.id === 'bus-order') acks.push(acks.length + 1);
    });
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'bus-pub', clean: true });
    await pub.publishAsync('order/x', '1', { qos: 1 });
    await pub.publishAsync('order/x', '2', { qos: 1 });
    while (got.length < 2) await sleep(20);
    got[1]!.ack();
    await sleep(300);
    expect(acks).toEqual([]); // #2 waits for #1 [MQTT-4.6.0-2]
    expect(bus.unacknowledged).toBe(2);
    got[0]!.ack();
    while (acks.length < 2) await sleep(20);
    expect(acks).toEqual([1, 2]);
    expect(bus.unacknowledged).toBe(0);
    await pub.endAsync();
    await bus.stop();
  });

  it('releases every PUBACK of a batch acknowledged in one loop, and matches handlers added later', async () => {
    const bus = new MqttBus({ url: broker.url, clientId: 'bus-batch', clean: true });
    await bus.start();
    const got: BusMessage[] = [];
    await bus.subscribe('batch/+', (m) => void got.push(m), { manualAck: true });
    let acks = 0;
    broker.broker.on('ack', (_packet, client) => {
      if (client?.id === 'bus-batch') acks++;
    });
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'bus-batch-pub', clean: true });
    const n = 200;
    for (let i = 0; i < n; i++) void pub.publish('batch/x', String(i), { qos: 1 });
    while (got.length < n) await sleep(20);
    expect(got.map((m) => String(m.payload))).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(acks).toBe(0);
    for (const m of got) m.ack(); // as a store write does for its batch
    while (acks < n) await sleep(20);
    expect(bus.unacknowledged).toBe(0);
    // A second handler on a topic the bus has already routed: the remembered match is not stale.
    const second: string[] = [];
    await bus.subscribe('batch/#', (m) => void second.push(String(m.payload)));
    await pub.publishAsync('batch/x', 'again', { qos: 1 });
    while (second.length < 1 || got.length < n + 1) await sleep(20);
    expect(second).toEqual(['again']);
    got[n]!.ack();
    while (acks < n + 1) await sleep(20);
    await pub.endAsync();
    await bus.stop();
  });

  it('publishes and delivers to plain subscribers with an automatic ack', async () => {
    const bus = new MqttBus({ url: broker.url, clientId: 'bus-plain', clean: true });
    await bus.start();
    const seen: string[] = [];
    await bus.subscribe('plain/#', (m) => void seen.push(`${m.topic}=${m.payload}`));
    await bus.publish('plain/a/b', 'hello', { qos: 1 });
    while (seen.length < 1) await sleep(20);
    expect(seen).toEqual(['plain/a/b=hello']);
    while (bus.unacknowledged > 0) await sleep(20);
    await bus.stop();
  });
});
