import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Lifecycle } from './lifecycle.js';

describe('Lifecycle', () => {
  it('starts in order, hands values on, stops in reverse', async () => {
    const events: string[] = [];
    const life = new Lifecycle();
    const a = await life.run(
      'a',
      () => (events.push('start a'), 1),
      (v) => void events.push(`stop a ${v}`),
    );
    await life.run(
      'b',
      async () => (events.push(`start b after ${a}`), 2),
      async (v) => void events.push(`stop b ${v}`),
    );
    expect(life.names).toEqual(['a', 'b']);
    await life.stop();
    expect(events).toEqual(['start a', 'start b after 1', 'stop b 2', 'stop a 1']);
    expect(life.names).toEqual([]);
  });

  it('a failed start stops what already started, then rethrows', async () => {
    const events: string[] = [];
    const logs: string[] = [];
    const life = new Lifecycle({ log: (l, m) => l !== 'info' && logs.push(m) });
    await life.run(
      'a',
      () => undefined,
      () => void events.push('stop a'),
    );
    await expect(
      life.run(
        'b',
        () => {
          throw new Error('port taken');
        },
        () => void events.push('stop b'),
      ),
    ).rejects.toThrow('port taken');
    expect(events).toEqual(['stop a']);
    expect(logs).toEqual(['b: start failed: port taken']);
  });

  it('a failed stop is logged and counted, and the others still stop', async () => {
    const registry = new Registry();
    const logs: string[] = [];
    const events: string[] = [];
    const life = new Lifecycle({ log: (l, m) => l !== 'info' && logs.push(m), registry });
    await life.run(
      'db',
      () => undefined,
      () => void events.push('stop db'),
    );
    await life.run(
      'http',
      () => undefined,
      () => {
        throw new Error('close failed');
      },
    );
    await life.stop();
    expect(events).toEqual(['stop db']);
    expect(logs).toEqual(['http: stop failed: close failed']);
    expect(await registry.getSingleMetricAsString('metergate_lifecycle_stop_failures_total')).toContain(
      'service="http"} 1',
    );
  });

  it('concurrent stops share one stop; the list can start again afterwards', async () => {
    let stops = 0;
    const life = new Lifecycle();
    await life.run(
      'a',
      () => undefined,
      () => void stops++,
    );
    await Promise.all([life.stop(), life.stop()]);
    expect(stops).toBe(1);
    await life.run(
      'a',
      () => undefined,
      () => void stops++,
    );
    await life.stop();
    expect(stops).toBe(2);
  });
});
