import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { TopicScheme } from '../protocol/index.js';
import { requireMosquitto, SERVICES } from '../test/support/services.js';

/**
 * External broker mode: what the gateway needs from an independent MQTT 5 broker (Mosquitto, the
 * one already running for the integration tier). Several gateway workers share
 * `$share/ingest/metergate/v1/meters/+/reading` and each reading goes to exactly one of them
 * [MQTT-4.8.2]. A per-run topic prefix keeps this test off other users' topics.
 */
const scheme = new TopicScheme(`mg-test-${process.pid}-${Date.now()}/v1`);
const open: MqttClient[] = [];

function connect5(clientId: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(SERVICES.mqtt, {
      protocolVersion: 5,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    open.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

beforeAll(async () => {
  await requireMosquitto();
});
afterAll(() => {
  for (const c of open) c.end(true);
});

describe('external MQTT 5 broker (Mosquitto)', () => {
  it('delivers each reading to exactly one member of the shared subscription group', async () => {
    const workers = await Promise.all(['w1', 'w2', 'w3'].map((w) => connect5(`mg-ext-${w}-${process.pid}`)));
    const got = new Map<string, string[]>();
    for (const [i, w] of workers.entries()) {
      got.set(`w${i}`, []);
      w.on('message', (_topic, payload) => got.get(`w${i}`)!.push(payload.toString()));
      const granted = await w.subscribeAsync(scheme.sharedReadingFilter('ingest'), { qos: 1 });
      expect(granted[0]?.qos).toBe(1);
    }
    const edge = await connect5(`mg-ext-edge-${process.pid}`);
    const N = 60;
    for (let i = 0; i < N; i++) {
      await edge.publishAsync(scheme.reading(`M-${i % 6}`), String(i), { qos: 1 });
    }
    const until = Date.now() + 10_000;
    const total = () => [...got.values()].reduce((n, l) => n + l.length, 0);
    while (total() < N && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    const all = [...got.values()].flat();
    // Every message exactly once across the group …
    expect(all.length).toBe(N);
    expect(new Set(all).size).toBe(N);
    // … and split between members rather than copied to each.
    expect([...got.values()].filter((l) => l.length > 0).length).toBeGreaterThan(1);
  });
});
