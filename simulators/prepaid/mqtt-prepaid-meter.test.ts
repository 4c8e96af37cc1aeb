import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme, decodePayload, type MeterEvent } from '../../protocol/index.js';
import {
  deriveDecoderKey,
  generateCreditToken,
  tidFromTime,
  type MeterKey,
} from '../../token-engine/index.js';
import { SimClock } from '../model/clock.js';
import { MqttPrepaidMeter } from './mqtt-prepaid-meter.js';

const KEY: MeterKey = {
  dkga: '04',
  ea: '11',
  vendingKey: 'abababababababab949494949494949401234567',
  sgc: '123457',
  ti: 1,
  krn: 1,
  kt: 2,
  ken: 255,
  baseDate: 2014,
  pan: '600727000000000009',
};
const topics = new TopicScheme('prepaidtest/v1');

function creditToken(units: number, at: Date, rnd = 3): string {
  return generateCreditToken({
    decoderKey: deriveDecoderKey(KEY),
    ea: '11',
    subclass: 0,
    units,
    tid: tidFromTime(at, 2014),
    rnd,
  });
}

describe('MqttPrepaidMeter over a real MQTT broker', () => {
  let broker: Aedes;
  let server: net.Server;
  let url: string;
  const clock = new SimClock({ start: Date.parse('2026-11-20T08:00:00Z'), acceleration: 0 });
  let meter: MqttPrepaidMeter;
  let observer: mqtt.MqttClient;
  const events: MeterEvent[] = [];

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    server = net.createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    observer = await mqtt.connectAsync(url, { clientId: 'observer' });
    observer.on('message', (topic, payload) => {
      const p = topics.parse(topic);
      if (p.ok && p.kind === 'event') {
        const e = decodePayload('event', payload);
        if (e.ok) events.push(e.value);
      }
    });
    await observer.subscribeAsync(topics.meterFilter(), { qos: 1 });
    meter = new MqttPrepaidMeter({
      meterId: 'pp-1',
      meterKey: KEY,
      brokerUrl: url,
      prefix: 'prepaidtest/v1',
      clock,
      powerScale: 1,
      readingIntervalMs: 60_000,
    });
    await meter.start();
  });

  afterAll(async () => {
    await meter?.stop();
    await observer?.endAsync();
    await new Promise<void>((r) => broker.close(() => r()));
    server.close();
  });

  async function until(pred: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('accepts a token delivered on cmd/token, closes the relay and reports the credit', async () => {
    const token = creditToken(10, new Date(clock.now()));
    const cmd = { v: 1, id: 'vend-1', meter: 'pp-1', ts: new Date().toISOString(), token };
    await observer.publishAsync(topics.command('pp-1', 'token'), JSON.stringify(cmd), { qos: 1 });
    await until(() => events.some((e) => e.kind === 'token.accepted'));
    expect(meter.credit).toBeCloseTo(10, 5);
    expect(meter.relayState).toBe('connected');
    expect(events.find((e) => e.kind === 'token.accepted')).toMatchObject({ token, credit: 10 });

    // The same token again is refused as Used, and the refusal is published.
    await observer.publishAsync(topics.command('pp-1', 'token'), JSON.stringify({ ...cmd, id: 'vend-1b' }), {
      qos: 1,
    });
    await until(() => events.some((e) => e.kind === 'token.rejected'));
    expect(events.find((e) => e.kind === 'token.rejected')).toMatchObject({ reason: 'Used', token });
    expect(meter.credit).toBeCloseTo(10, 5);
  });

  it('refuses a malformed command payload without crashing', async () => {
    await observer.publishAsync(topics.command('pp-1', 'token'), '{"token":"12"}', { qos: 1 });
    await until(() => events.some((e) => e.kind === 'token.rejected' && e.reason === 'Format'));
    expect(meter.credit).toBeCloseTo(10, 5);
  });

  it('draws credit with consumption, warns when low and opens the relay at zero', async () => {
    clock.fastForward(2 * 24 * 3600_000); // two days of household load ≫ 10 kWh
    meter.tick();
    await until(() => events.some((e) => e.kind === 'credit.exhausted'));
    expect(meter.credit).toBe(0);
    expect(meter.relayState).toBe('disconnected');
    expect(meter.energy).toBeCloseTo(10, 5);
    expect(events.some((e) => e.kind === 'credit.low')).toBe(true);
    // The keypad path: a fresh token restores supply.
    const result = meter.enterToken(creditToken(5, new Date(clock.now()), 9));
    expect(result.ok).toBe(true);
    expect(meter.relayState).toBe('connected');
  });
});
