import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import { MqttBus } from '../../platform/index.js';
import { runMigrations, type SqlDatabase } from '../../platform/index.js';
import { LastReadingStore, READINGS_MIGRATIONS, type ReadingStore } from '../readings/index.js';
import { ROLLUP_MIGRATIONS, RollupEngine, SqlRollupStore } from '../rollups/index.js';
import { DeadLetterStore } from './dead-letters.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { IngestMetrics } from './metrics.js';

export interface IngestFixture {
  store: ReadingStore;
  db: SqlDatabase;
  brokerUrl: string;
  dispose(): Promise<void>;
}

/** A store wrapper that fails writes while `down` (fault injection around a real store). */
class FlakyStore {
  down = false;
  attempts = 0;
  constructor(readonly inner: ReadingStore) {}
  wrap(): ReadingStore {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        if (prop === 'write') {
          return async (...args: Parameters<ReadingStore['write']>) => {
            this.attempts++;
            if (this.down) throw new Error('injected: store down');
            return target.write(...args);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function makeReading(meter: string, seq: number, ts: Date, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    v: 1,
    meter,
    seq,
    ts: ts.toISOString(),
    values: {
      '1-0:1.8.0': 1000 + seq * 0.25,
      '1-0:2.8.0': 10 + seq * 0.01,
      '1-0:1.7.0': 1.2,
      '1-0:32.7.0': 230.1,
      '1-0:14.7.0': 50,
    },
    source: 'simulator',
    ...extra,
  });
}

/**
 * The ingest behaviour every reading store must support end to end: MQTT (QoS 1) → pipeline → store,
 * exactly once per (meter, ts), dead letters, live state, rollups, and no PUBACK while the store is down.
 */
export function describeIngest(name: string, open: () => Promise<IngestFixture>): void {
  describe(`ingest suite: ${name}`, () => {
    let f: IngestFixture;
    let bus: MqttBus;
    let pipeline: IngestPipeline;
    let publisher: MqttClient;
    let flaky: FlakyStore;
    let deadLetters: DeadLetterStore;
    let lastReadings: LastReadingStore;
    let rollups: SqlRollupStore;
    const metrics = new IngestMetrics();
    const run = randomBytes(3).toString('hex');
    const topics = new TopicScheme(`mgtest-${run}/v1`);
    const m = (i: number) => `m${i}-${run}`;
    let store: ReadingStore;
    const count = (meterId: string) => f.store.count({ meterId });
    const waitCount = (meterId: string, n: number) =>
      until(`${n} readings of ${meterId}`, async () => (await count(meterId)) >= n);

    // A persistent session (clean: false): what the gateway has not acknowledged survives it.
    async function connect(): Promise<void> {
      bus = new MqttBus({ url: f.brokerUrl, clientId: `ingest-${run}`, clean: false });
      await bus.start();
      pipeline = new IngestPipeline({
        bus,
        topics,
        store,
        lastReadings,
        deadLetters,
        metrics,
        rollups: new RollupEngine({ db: f.db, source: store }),
        batchSize: 500,
        batchIntervalMs: 50,
      });
      await pipeline.start();
    }

    beforeAll(async () => {
      f = await open();
      await runMigrations(f.db, [...READINGS_MIGRATIONS, ...ROLLUP_MIGRATIONS]);
      await f.store.start();
      flaky = new FlakyStore(f.store);
      deadLetters = new DeadLetterStore({ db: f.db, maxRows: 500 });
      lastReadings = new LastReadingStore({ db: f.db });
      rollups = new SqlRollupStore({ db: f.db });
      store = flaky.wrap();
      await connect();
      publisher = await mqtt.connectAsync(f.brokerUrl, { clientId: `pub-${run}`, clean: true });
    });
    afterAll(async () => {
      await publisher?.endAsync();
      await pipeline?.stop();
      await bus?.stop();
      // leave no persistent session behind on a shared broker
      const cleaner = await mqtt.connectAsync(f.brokerUrl, { clientId: `ingest-${run}`, clean: true });
      await cleaner.endAsync();
      await f?.store.stop();
      await f?.dispose();
    });

    it('stores every QoS 1 reading exactly once per meter, also when republished', async () => {
      const t0 = Date.UTC(2026, 10, 20, 0, 0, 0);
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        for (let k = 0; k < 5; k++) {
          sends.push(
            publisher.publishAsync(topics.reading(m(k)), makeReading(m(k), i, new Date(t0 + i * 60_000)), {
              qos: 1,
            }),
          );
        }
      }
      // the first 50 again: a device retrying after a lost PUBACK
      for (let i = 0; i < 50; i++) {
        sends.push(
          publisher.publishAsync(topics.reading(m(0)), makeReading(m(0), i, new Date(t0 + i * 60_000)), {
            qos: 1,
          }),
        );
      }
      await Promise.all(sends);
      for (let k = 0; k < 5; k++) await waitCount(m(k), 300);
      await until('the republished copies', () => pipeline.snapshot().received >= 1550);
      await until('an idle pipeline', () => pipeline.snapshot().buffered === 0 && bus.unacknowledged === 0);
      for (let k = 0; k < 5; k++) expect(await count(m(k))).toBe(300);
      const last = await lastReadings.get(m(3));
      expect(last?.ts.toISOString()).toBe(new Date(t0 + 299 * 60_000).toISOString());
      expect(last?.values['1-0:1.8.0']).toBe(1000 + 299 * 0.25);
      const daily = await rollups.dailySeries({
        meterId: m(2),
        obis: '1-0:1.8.0',
        from: '2026-11-20',
        to: '2026-11-20',
      });
      expect(daily).toHaveLength(1);
      expect(daily[0]!.consumption).toBeCloseTo(299 * 0.25, 6);
    });

    it('never lets a historical reading overwrite the live state', async () => {
      const id = m(10);
      await publisher.publishAsync(
        topics.reading(id),
        makeReading(id, 5, new Date(Date.UTC(2026, 10, 21, 12))),
        { qos: 1 },
      );
      await publisher.publishAsync(
        topics.reading(id),
        makeReading(id, 6, new Date(Date.UTC(2026, 10, 21, 13)), { historical: true }),
        { qos: 1 },
      );
      await waitCount(id, 2);
      expect((await lastReadings.get(id))?.seq).toBe(5);
    });

    it('dead-letters malformed messages with their reason, counts them exactly, and keeps going', async () => {
      const before = pipeline.snapshot().deadLettered;
      const id = m(20);
      const bad: Array<[string, string | Buffer]> = [
        [topics.reading(id), 'not json'],
        [topics.reading(id), Buffer.from([0, 1, 2, 0xff])],
        [topics.reading(id), JSON.stringify({ v: 1, meter: id })],
        [topics.reading(id), makeReading(m(21), 1, new Date())], // payload of another meter
        [topics.reading(id), makeReading(id, 1, new Date()).replace('1-0:1.8.0', '9-9:9.9.9')],
        [topics.reading(id), 'x'.repeat(70_000)],
        [`${topics.prefix}/meters/${id}/event`, '{"v":1}'],
      ];
      await Promise.all(bad.map(([t, p]) => publisher.publishAsync(t, p, { qos: 1 })));
      await publisher.publishAsync(topics.reading(id), makeReading(id, 2, new Date(Date.UTC(2026, 10, 22))), {
        qos: 1,
      });
      await waitCount(id, 1);
      await until('dead letters', () => pipeline.snapshot().deadLettered - before >= bad.length);
      await until('an idle pipeline', () => bus.unacknowledged === 0);
      expect(pipeline.snapshot().deadLettered - before).toBe(bad.length);
      const recent = await deadLetters.recent(bad.length);
      const codes = recent.map((r) => r.code).sort();
      expect(codes).toEqual(
        [
          'MG_ERR_INGEST_METER_MISMATCH',
          'MG_ERR_PROTOCOL_JSON',
          'MG_ERR_PROTOCOL_JSON',
          'MG_ERR_PROTOCOL_OBIS',
          'MG_ERR_PROTOCOL_SCHEMA',
          'MG_ERR_PROTOCOL_SCHEMA',
          'MG_ERR_PROTOCOL_TOO_LARGE',
        ].sort(),
      );
      const big = recent.find((r) => r.code === 'MG_ERR_PROTOCOL_TOO_LARGE')!;
      expect(big.payloadBytes).toBe(70_000);
      expect(big.payload.length).toBeLessThanOrEqual(1024);
      expect(recent.find((r) => r.payload.includes('\\u0000'))).toBeTruthy();
    });

    it('acknowledges nothing while the store is down; after a crash the broker redelivers it all', async () => {
      const id = m(30);
      flaky.down = true;
      const attempts = flaky.attempts;
      const t0 = Date.UTC(2026, 10, 23);
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          publisher.publishAsync(topics.reading(id), makeReading(id, i, new Date(t0 + i * 1000)), { qos: 1 }),
        ),
      );
      await until('failed write attempts', () => flaky.attempts >= attempts + 3);
      await until('all 40 received', () => bus.unacknowledged === 40);
      expect(await count(id)).toBe(0);
      // crash: the gateway goes away without acknowledging anything
      await pipeline.stop();
      await bus.stop({ force: true });
      flaky.down = false;
      await connect();
      await waitCount(id, 40);
      await until('an idle pipeline', () => bus.unacknowledged === 0);
      expect(await count(id)).toBe(40);
    });
  });
}
