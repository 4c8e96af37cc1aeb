import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { TopicScheme } from '../protocol/index.js';
import { createMetergateBroker, type MetergateBroker } from './broker.js';
import { retainDecision } from './retain-policy.js';
import { asUser, connect, nextMessage, testCredentials } from './test-helpers.js';

const scheme = new TopicScheme();
const state = (meter: string) =>
  JSON.stringify({ v: 1, meter, ts: '2026-01-01T00:00:00.000Z', online: true });

describe('retainDecision', () => {
  it('keeps only valid state of the topic own meter or edge, and always an empty payload', () => {
    const b = (s: string) => Buffer.from(s);
    expect(retainDecision(scheme, scheme.state('M-1'), b(state('M-1')))).toEqual({ keep: true });
    expect(retainDecision(scheme, scheme.state('M-1'), b(state('M-2')))).toMatchObject({ keep: false });
    expect(retainDecision(scheme, scheme.state('M-1'), b('{"v":1}'))).toMatchObject({
      keep: false,
      detail: expect.stringMatching(/invalid state/),
    });
    expect(
      retainDecision(
        scheme,
        scheme.edgeState('E-1'),
        b(JSON.stringify({ v: 1, edge: 'E-1', ts: '2026-01-01T00:00:00.000Z', online: false })),
      ),
    ).toEqual({ keep: true });
    expect(retainDecision(scheme, scheme.reading('M-1'), b('{}'))).toMatchObject({
      keep: false,
      detail: 'reading messages are not retained',
    });
    expect(retainDecision(scheme, scheme.command('M-1', 'token'), b('{}'))).toMatchObject({ keep: false });
    expect(retainDecision(scheme, scheme.reading('M-1'), b(''))).toEqual({ keep: true });
  });
});

describe('retained messages through the broker', () => {
  let broker: MetergateBroker;
  let url: string;
  const open: MqttClient[] = [];
  beforeAll(async () => {
    broker = createMetergateBroker({
      port: 0,
      credentials: await testCredentials(),
      limits: { connectionRate: { perSecond: 1000, burst: 1000 } },
    });
    await broker.start();
    url = `mqtt://127.0.0.1:${broker.ports.tcp}`;
  });
  afterAll(async () => {
    for (const c of open) c.end(true);
    await broker.stop();
  });
  const client = async (user: string) => {
    const c = await connect(url, asUser(user));
    open.push(c);
    return c;
  };

  it('delivers a retained reading live but does not keep it; keeps a valid state; counts refusals', async () => {
    const edge = await client('edge-1');
    const live = await client('gw');
    await live.subscribeAsync(scheme.readingFilter(), { qos: 1 });
    const got = nextMessage(live, scheme.reading('M-1'), 3000);
    await edge.publishAsync(scheme.reading('M-1'), 'junk', { qos: 1, retain: true });
    expect((await got)?.toString()).toBe('junk');
    await edge.publishAsync(scheme.state('M-1'), state('M-1'), { qos: 1, retain: true });
    await edge.publishAsync(scheme.state('M-2'), '{"not":"a state"}', { qos: 1, retain: true });

    const late = await client('gw');
    const retained: string[] = [];
    late.on('message', (topic, _p, packet) => {
      if (packet.retain) retained.push(topic);
    });
    await late.subscribeAsync(`${scheme.prefix}/meters/#`, { qos: 1 });
    // A later live message on the same filter: the retained ones were sent before it.
    const marker = nextMessage(late, scheme.reading('M-2'), 3000);
    await edge.publishAsync(scheme.reading('M-2'), 'marker', { qos: 1 });
    await marker;
    expect(retained).toEqual([scheme.state('M-1')]);
    expect(broker.metrics.stats.refusals['retained-refused']).toBe(2);
    expect(edge.connected).toBe(true);
  });
});
