import { describe, expect, it } from 'vitest';
import { createMetergateBroker } from './broker.js';
import { asUser, closed, connect, testCredentials } from './test-helpers.js';

describe('per-client queue bound', () => {
  it('keeps the first N for an offline session, drops the newest, counts and logs the drops', async () => {
    const warnings: { msg?: string; obj: object }[] = [];
    const noop = () => undefined;
    const broker = createMetergateBroker({
      port: 0,
      credentials: await testCredentials(),
      maxQueuedPerClient: 3,
      logger: { info: noop, debug: noop, error: noop, warn: (obj, msg) => warnings.push({ obj, msg }) },
    });
    await broker.start();
    const url = `mqtt://127.0.0.1:${broker.ports.tcp}`;
    try {
      const gw = await connect(url, asUser('gw', { clientId: 'gw:q', clean: false }));
      await gw.subscribeAsync('metergate/v1/meters/+/reading', { qos: 1 });
      gw.end(true);
      await closed(gw);
      const edge = await connect(url, asUser('edge-1'));
      for (let i = 1; i <= 5; i++)
        await edge.publishAsync('metergate/v1/meters/M-1/reading', `r${i}`, { qos: 1 });
      edge.end(true);
      expect(broker.metrics.stats.queueDropped).toBe(2);
      expect(await broker.metrics.registry.metrics()).toMatch(/metergate_broker_queue_dropped_total 2/);
      expect(warnings).toContainEqual({
        msg: 'broker queue full: newest message dropped',
        obj: expect.objectContaining({ clientId: 'gw:q', droppedForClient: 1, limit: 3 }),
      });
      const got: string[] = [];
      const back = await connect(url, asUser('gw', { clientId: 'gw:q', clean: false }));
      await new Promise<void>((resolve) =>
        back.on('message', (_t, p) => {
          got.push(p.toString());
          if (got.length === 3) resolve();
        }),
      );
      expect(got).toEqual(['r1', 'r2', 'r3']);
      back.end(true);
    } finally {
      await broker.stop();
    }
  });
});
