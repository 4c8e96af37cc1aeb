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

  it('obeys the centre’s cmd/relay: an operator’s open holds over new credit, close reconnects, redelivery is a duplicate', async () => {
    const relay = (body: object) =>
      observer.publishAsync(topics.command('pp-1', 'relay'), JSON.stringify({ v: 1, ...body }), { qos: 1 });
    const answer = async (id: string, outcome?: string) => {
      await until(() => events.some((e) => e.cmd === id && (!outcome || e.outcome === outcome)));
      return events.filter((e) => e.cmd === id).at(-1)!;
    };
    expect(meter.relayState).toBe('connected');
    await relay({ id: 'op-1', action: 'open', reason: 'tamper inspection' });
    expect(await answer('op-1')).toMatchObject({
      kind: 'command',
      command: 'relay',
      outcome: 'done',
      relay: 'disconnected',
    });
    expect(meter.relayState).toBe('disconnected');
    // Open by the operator: no consumption, and new credit does not close it (no credit.exhausted either).
    const energy = meter.energy;
    clock.fastForward(3600_000);
    meter.tick();
    expect(meter.energy).toBe(energy);
    expect(meter.enterToken(creditToken(3, new Date(clock.now()), 11)).ok).toBe(true);
    expect(meter.relayState).toBe('disconnected');
    expect(events.filter((e) => e.kind === 'credit.exhausted')).toHaveLength(1);

    await relay({ id: 'op-2', action: 'close' });
    expect(await answer('op-2')).toMatchObject({ outcome: 'done', relay: 'connected' });
    expect(meter.relayState).toBe('connected');
    await relay({ id: 'op-2', action: 'close' });
    await answer('op-2', 'duplicate');
    await relay({ id: 'op-3', action: 'open', expiresAt: '2020-01-01T00:00:00Z' });
    expect(await answer('op-3')).toMatchObject({ outcome: 'expired' });
    expect(meter.relayState).toBe('connected');
    await relay({ id: 'op-4', action: 'ajar' });
    await until(() => events.some((e) => e.kind === 'command' && e.outcome === 'rejected'));
  });

  it('a close at zero credit fails and says why; the relay closes when credit arrives', async () => {
    clock.fastForward(3 * 24 * 3600_000);
    meter.tick();
    expect(meter.credit).toBe(0);
    expect(meter.relayState).toBe('disconnected');
    await observer.publishAsync(
      topics.command('pp-1', 'relay'),
      JSON.stringify({ v: 1, id: 'op-5', action: 'close' }),
      {
        qos: 1,
      },
    );
    await until(() => events.some((e) => e.cmd === 'op-5'));
    expect(events.find((e) => e.cmd === 'op-5')).toMatchObject({ outcome: 'failed', detail: /no credit/ });
    expect(meter.enterToken(creditToken(2, new Date(clock.now()), 13)).ok).toBe(true);
    expect(meter.relayState).toBe('connected');
  });
});
