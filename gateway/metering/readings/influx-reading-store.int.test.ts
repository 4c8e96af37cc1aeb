import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SERVICES, requireInflux } from '../../../test/support/services.js';
import { PgliteDatabase } from '../../platform/index.js';
import { describeReadingStore } from './conformance.js';
import { InfluxReadingStore } from './influx-reading-store.js';

const newStore = () =>
  new InfluxReadingStore({ url: SERVICES.influx, database: `mg_test_${randomBytes(4).toString('hex')}` });

describeReadingStore('InfluxDB v1 HTTP API', async () => {
  await requireInflux();
  const db = await new PgliteDatabase().start();
  const store = newStore();
  return {
    db,
    store,
    async dispose() {
      await store.drop();
      await db.close();
    },
  };
});

describe('InfluxReadingStore specifics', () => {
  it('escapes line protocol with node-influx and sets the raw retention policy', async () => {
    await requireInflux();
    expect(
      InfluxReadingStore.line({
        meterId: 'm,1 x',
        ts: new Date(1000),
        seq: 3,
        values: { '1-0:1.8.0': 1.5 },
        quality: 'good',
        source: 'mqtt',
        historical: true,
      }),
    ).toBe('reading,meter=m\\,1\\ x 1-0:1.8.0=1.5,seq=3i,quality="good",source="mqtt",historical=t 1000');
    const store = newStore();
    await store.start();
    try {
      await store.start(); // idempotent
      const [r] = await store.query('SHOW RETENTION POLICIES');
      const raw = r?.series?.[0]?.values.find((v) => v[0] === 'raw');
      expect(raw?.[1]).toBe('9600h0m0s');
      expect(raw?.[4]).toBe(true);
    } finally {
      await store.drop();
    }
  });

  it('reports an unreachable server as a store error', async () => {
    const store = new InfluxReadingStore({ url: 'http://127.0.0.1:1', database: 'x' });
    await expect(
      store.write([
        {
          meterId: 'a',
          ts: new Date(),
          seq: 1,
          values: { '1-0:1.8.0': 1 },
          quality: 'good',
          source: 'mqtt',
          historical: false,
        },
      ]),
    ).rejects.toThrow(/MG_ERR|unreachable/);
  });
});
