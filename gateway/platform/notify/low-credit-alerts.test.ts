import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import { MqttBus } from '../bus/index.js';
import { startTestBroker } from '../bus/test-broker.js';
import { InProcessJobRunner } from '../jobs/index.js';
import { LowCreditAlerts } from './low-credit-alerts.js';

describe('LowCreditAlerts over a real MQTT broker', () => {
  const topics = new TopicScheme('lowcredit/v1');
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let bus: MqttBus;
  const runner = new InProcessJobRunner();
  const queued: unknown[] = [];

  beforeAll(async () => {
    broker = await startTestBroker();
    bus = new MqttBus({ url: broker.url, clientId: 'low-credit-test', clean: true });
    await bus.start();
    runner.register('notifications', async (data) => {
      queued.push(data);
    });
    await runner.start();
    await new LowCreditAlerts({
      bus,
      runner,
      topics,
      customerOf: async (meter) => (meter === 'PP-1' ? 'C-1' : undefined),
    }).start();
  });

  afterAll(async () => {
    await runner.stop();
    await bus.stop();
    await broker.stop();
  });

  it('notifies the customer once per low-credit event, ignoring other events and unowned meters', async () => {
    const meter = await mqtt.connectAsync(broker.url, { clientId: 'meter' });
    const low = { v: 1, meter: 'PP-1', ts: '2026-11-23T10:00:00Z', kind: 'credit.low', credit: 4.2 };
    await meter.publishAsync(topics.event('PP-1'), JSON.stringify(low), { qos: 1 });
    await meter.publishAsync(topics.event('PP-1'), JSON.stringify(low), { qos: 1 }); // redelivery
    await meter.publishAsync(
      topics.event('PP-1'),
      JSON.stringify({ ...low, kind: 'relay', relay: 'connected', credit: undefined }),
      { qos: 1 },
    );
    await meter.publishAsync(topics.event('PP-2'), JSON.stringify({ ...low, meter: 'PP-2' }), { qos: 1 });
    await meter.publishAsync(topics.event('PP-1'), 'not json', { qos: 1 });
    const deadline = Date.now() + 5000;
    while (queued.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    await meter.endAsync();
    expect(queued).toEqual([
      {
        idempotencyKey: 'low-credit-PP-1-2026-11-23T10:00:00Z',
        customerId: 'C-1',
        kind: 'low_credit',
        params: { meterId: 'PP-1', credit: 4.2, unit: 'kWh' },
      },
    ]);
  });
});
