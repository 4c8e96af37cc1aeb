import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import { MqttBus, PgliteDatabase, runMigrations } from '../../platform/index.js';
import { startTestBroker } from '../../platform/bus/test-broker.js';
import { LastReadingStore, READINGS_MIGRATIONS, SqlReadingStore } from '../readings/index.js';
import { ROLLUP_MIGRATIONS, RollupEngine } from '../rollups/index.js';
import { DeadLetterStore } from './dead-letters.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { IngestMetrics } from './metrics.js';

// Issue 21.7: hostile-but-authorised readings are dead-lettered with a reason, counted per reason.
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const topics = new TopicScheme('mgval/v1');
let broker: Awaited<ReturnType<typeof startTestBroker>>;
let db: PgliteDatabase;
let store: SqlReadingStore;
let bus: MqttBus;
let pipeline: IngestPipeline;
let deadLetters: DeadLetterStore;
const metrics = new IngestMetrics();

const reading = (meter: string, seq: number, ts: string, energy: number) =>
  JSON.stringify({ v: 1, meter, seq, ts, values: { '1-0:1.8.0': energy, '1-0:32.7.0': 230 } });

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  broker = await startTestBroker();
  db = await new PgliteDatabase().start();
  await runMigrations(db, [...READINGS_MIGRATIONS, ...ROLLUP_MIGRATIONS]);
  store = new SqlReadingStore({ db });
  await store.start();
  deadLetters = new DeadLetterStore({ db, maxRows: 100 });
  bus = new MqttBus({ url: broker.url, clientId: 'validation-test' });
  await bus.start();
  pipeline = new IngestPipeline({
    bus,
    topics,
    store,
    lastReadings: new LastReadingStore({ db }),
    rollups: new RollupEngine({ db, source: store }),
    deadLetters,
    metrics,
    batchSize: 10,
    batchIntervalMs: 5,
    now: () => NOW,
    installedAt: (m) => (m === 'VAL-NEW' ? Date.UTC(2026, 10, 1) : undefined),
  });
  await pipeline.start();
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await bus?.stop();
  await store?.stop();
  await db?.close();
  await broker?.stop();
});

describe('reading validation at ingest', () => {
  it('dead-letters negative, backwards, future, pre-installation and impossible-date readings with a reason', async () => {
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'validation-pub' });
    const send = (meter: string, payload: string) =>
      pub.publishAsync(topics.reading(meter), payload, { qos: 1 });
    await send('VAL-1', reading('VAL-1', 1, '2026-12-01T10:00:00Z', 100));
    await send('VAL-1', reading('VAL-1', 2, '2026-12-01T10:15:00Z', 99)); // backwards
    await send('VAL-1', reading('VAL-1', 3, '2026-12-01T10:30:00Z', -5)); // negative
    await send('VAL-1', reading('VAL-1', 4, '2099-01-01T00:00:00Z', 101)); // 2099
    await send('VAL-1', reading('VAL-1', 5, '2026-02-30T00:00:00Z', 101)); // not a date
    await send(
      'VAL-1',
      JSON.stringify({
        v: 1,
        meter: 'VAL-1',
        seq: 8,
        ts: '2026-12-01T10:40:00Z',
        values: { '1-0:32.7.0': 5e7 },
      }),
    ); // 50 MV on a meter
    await send('VAL-NEW', reading('VAL-NEW', 1, '2026-10-15T00:00:00Z', 1)); // before installation
    await send('VAL-1', reading('VAL-1', 6, '2026-12-01T12:04:00Z', 102)); // 4 min ahead: fine
    // An explicit meter reset lets the register start again.
    await pub.publishAsync(
      topics.event('VAL-1'),
      JSON.stringify({ v: 1, meter: 'VAL-1', ts: '2026-12-01T12:04:30Z', kind: 'meter.reset' }),
      { qos: 1 },
    );
    await until('the reset event', async () => true);
    await send('VAL-1', reading('VAL-1', 7, '2026-12-01T12:05:00Z', 0.5));
    await until(
      '2 stored and 5 dead letters',
      async () => (await store.count({ meterId: 'VAL-1' })) >= 3 && (await deadLetters.count()) >= 6,
    );
    await pub.endAsync();
    expect(await store.count({ meterId: 'VAL-1' })).toBe(3);
    expect(await store.count({ meterId: 'VAL-NEW' })).toBe(0);
    const codes = (await deadLetters.recent(10)).map((l) => l.code).sort();
    expect(codes).toEqual([
      'MG_ERR_INGEST_BEFORE_INSTALLATION',
      'MG_ERR_INGEST_IN_FUTURE',
      'MG_ERR_INGEST_NEGATIVE_REGISTER',
      'MG_ERR_INGEST_OUT_OF_RANGE',
      'MG_ERR_INGEST_REGISTER_DECREASED',
      'MG_ERR_PROTOCOL_SCHEMA',
    ]);
    const counted = (await metrics.deadLetters.get()).values;
    for (const code of codes) {
      expect(counted.find((v) => v.labels.code === code)?.value, code).toBe(1);
    }
  });
});
