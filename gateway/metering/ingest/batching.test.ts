import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import type { BusHandler, MessageBus } from '../../platform/index.js';
import { PgliteDatabase, runMigrations } from '../../platform/index.js';
import {
  LastReadingStore,
  READINGS_MIGRATIONS,
  SqlReadingStore,
  type StoredReading,
} from '../readings/index.js';
import { ROLLUP_MIGRATIONS, RollupEngine } from '../rollups/index.js';
import { makeReading } from './conformance.js';
import { DeadLetterStore } from './dead-letters.js';
import { IngestPipeline } from './ingest-pipeline.js';
import { IngestMetrics } from './metrics.js';

/** Hands messages straight to the pipeline's handler and records which were acknowledged. */
class InMemoryBus implements MessageBus {
  readonly protocolVersion = 4 as const;
  readonly connected = true;
  readonly acked: string[] = [];
  private readonly handlers = new Map<string, BusHandler>();
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async subscribe(filter: string, handler: BusHandler): Promise<void> {
    this.handlers.set(filter, handler);
  }
  async publish(): Promise<void> {}
  setPaused(): void {}
  deliver(filter: string, topic: string, payload: string): void {
    void this.handlers.get(filter)!({
      topic,
      payload: Buffer.from(payload),
      qos: 1,
      retain: false,
      duplicate: false,
      ack: () => this.acked.push(payload),
    });
  }
}

describe('IngestPipeline batching', () => {
  const topics = new TopicScheme('mgtest/v1');
  let db: PgliteDatabase;
  let store: SqlReadingStore;
  beforeAll(async () => {
    db = await new PgliteDatabase().start();
    await runMigrations(db, [...READINGS_MIGRATIONS, ...ROLLUP_MIGRATIONS]);
    store = new SqlReadingStore({ db });
  });
  afterAll(() => db.close());

  it('writes what arrived during a write right after it, without waiting for the batch interval', async () => {
    const bus = new InMemoryBus();
    const writes: number[] = [];
    let release: (() => void) | undefined;
    // The first write is held open until the test has delivered more readings behind it.
    const slowStore = Object.assign(Object.create(store) as SqlReadingStore, {
      async write(readings: readonly StoredReading[]) {
        writes.push(readings.length);
        if (writes.length === 1) await new Promise<void>((r) => (release = r));
        return store.write(readings);
      },
    });
    const pipeline = new IngestPipeline({
      bus,
      topics,
      store: slowStore,
      lastReadings: new LastReadingStore({ db }),
      rollups: new RollupEngine({ db, source: store }),
      deadLetters: new DeadLetterStore({ db, maxRows: 10 }),
      metrics: new IngestMetrics(),
      batchSize: 100,
      // Far longer than the test may take: only the backlog rule can write the second batch.
      batchIntervalMs: 600_000,
    });
    await pipeline.start();
    const filter = topics.readingFilter();
    const t0 = Date.UTC(2026, 10, 20);
    const send = (i: number) =>
      bus.deliver(filter, topics.reading('bm1'), makeReading('bm1', i, new Date(t0 + i * 1000)));
    for (let i = 0; i < 100; i++) send(i); // a full batch: written at once
    await until(() => release !== undefined);
    for (let i = 100; i < 130; i++) send(i); // a partial batch, queued behind the open write
    expect(bus.acked).toHaveLength(0); // nothing is acknowledged before it is stored
    release!();
    await until(() => bus.acked.length === 130);
    expect(writes).toEqual([100, 30]);
    expect(await store.count({ meterId: 'bm1' })).toBe(130);
    await pipeline.stop();
  });
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
