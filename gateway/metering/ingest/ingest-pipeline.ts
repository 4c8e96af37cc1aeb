import {
  decodePayload,
  decodeReading,
  isConsumptionRegister,
  type MeterEvent,
  type TopicScheme,
} from '../../../protocol/index.js';
import type { BusMessage, MessageBus } from '../../platform/index.js';
import type { LastReadingStore, ReadingStore, StoredReading } from '../readings/index.js';
import type { RegisterSample, RollupEngine } from '../rollups/index.js';
import type { DeadLetter, DeadLetterStore } from './dead-letters.js';
import './errors.js';
import { ReadingValidator } from './reading-validation.js';
import type { IngestMetrics } from './metrics.js';

export interface IngestPipelineOptions {
  bus: MessageBus;
  topics: TopicScheme;
  store: ReadingStore;
  lastReadings: LastReadingStore;
  rollups: RollupEngine;
  deadLetters: DeadLetterStore;
  metrics: IngestMetrics;
  /** Readings per store write (default 5000). */
  batchSize?: number;
  /** A partial batch is written after this long (default 100 ms). */
  batchIntervalMs?: number;
  /** Bounded buffer: above this many waiting readings the bus stops reading from the broker (default 20,000). */
  maxBuffered?: number;
  /** MQTT 5 shared subscription group (default 'ingest'); ignored on MQTT 3.1.1. */
  shareGroup?: string;
  /** Called after a batch is durable (live stream). */
  onStored?: (readings: readonly StoredReading[]) => void;
  /** Called for each valid meter event (live stream). */
  onEvent?: (event: MeterEvent) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The clock for the "not in the future" check (tests). */
  now?: () => number;
  /** When a meter was installed (epoch ms), if known: earlier readings are refused. */
  installedAt?: (meterId: string) => number | undefined;
}

interface Item {
  reading: StoredReading;
  ack: () => void;
}

export interface IngestStats {
  received: number;
  stored: number;
  deadLettered: number;
  storeErrors: number;
  batches: number;
  buffered: number;
}

const MAX_BACKOFF_MS = 5000;
/** Reading topics whose meter id is remembered: one per meter, a fleet's worth. */
const TOPIC_CACHE_SIZE = 100_000;

/**
 * MQTT readings → validation → bounded buffer → batched upserts → live state → rollups → PUBACK.
 * Nothing is acknowledged before it is durable (stored, or dead-lettered with its reason): while the
 * store is down the pipeline retries the batch, the buffer fills, the bus stops reading, and the
 * broker (then the devices' outboxes) keeps the rest. A crash loses nothing acknowledged; what was
 * not acknowledged is redelivered and the (meter, ts) upsert makes the replay harmless.
 */
export class IngestPipeline {
  private readonly o: Required<
    Pick<IngestPipelineOptions, 'batchSize' | 'batchIntervalMs' | 'maxBuffered' | 'shareGroup'>
  > &
    IngestPipelineOptions;
  private buffer: Item[] = [];
  private letters: Array<{ letter: DeadLetter; ack: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private running = false;
  private readonly validator: ReadingValidator;
  /** Reading topic → meter id, for topics already seen to be good ones. */
  private readonly topicMeters = new Map<string, string>();
  private readonly stats: IngestStats = {
    received: 0,
    stored: 0,
    deadLettered: 0,
    storeErrors: 0,
    batches: 0,
    buffered: 0,
  };

  constructor(options: IngestPipelineOptions) {
    this.validator = new ReadingValidator(options.now, options.installedAt);
    this.o = {
      ...options,
      batchSize: options.batchSize ?? 5000,
      batchIntervalMs: options.batchIntervalMs ?? 100,
      maxBuffered: options.maxBuffered ?? 20_000,
      shareGroup: options.shareGroup ?? 'ingest',
    };
  }

  snapshot(): IngestStats {
    return { ...this.stats, buffered: this.buffer.length };
  }

  async start(): Promise<void> {
    this.running = true;
    const { bus, topics } = this.o;
    await bus.subscribe(topics.readingFilter(), (m) => this.onReading(m), {
      qos: 1,
      manualAck: true,
      shareGroup: this.o.shareGroup,
    });
    await bus.subscribe(`${topics.prefix}/meters/+/event`, (m) => this.onEvent(m), {
      qos: 1,
      manualAck: true,
    });
  }

  /** Stop taking messages and write what is buffered (what cannot be written stays unacknowledged). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    if (this.buffer.length || this.letters.length) {
      this.flushing = this.flushOnce(false).catch(() => undefined);
      await this.flushing;
    }
  }

  private reject(message: BusMessage, code: string, reason: string): void {
    this.stats.deadLettered++;
    this.o.metrics.deadLetters.inc({ code });
    this.letters.push({
      letter: { topic: message.topic, code, reason, payload: message.payload },
      ack: message.ack,
    });
    this.schedule();
  }

  private onEvent(message: BusMessage): void {
    const topic = this.o.topics.parse(message.topic);
    if (!topic.ok || topic.kind !== 'event') {
      this.reject(message, 'MG_ERR_INGEST_TOPIC', topic.ok ? `not an event topic` : topic.reason);
      return;
    }
    const decoded = decodePayload('event', message.payload);
    if (!decoded.ok) return this.reject(message, decoded.code, decoded.message);
    if (decoded.value.meter !== topic.meterId) {
      return this.reject(
        message,
        'MG_ERR_INGEST_METER_MISMATCH',
        `payload meter ${decoded.value.meter} on topic of ${topic.meterId}`,
      );
    }
    if (decoded.value.kind === 'meter.reset') this.validator.reset(decoded.value.meter);
    try {
      this.o.onEvent?.(decoded.value);
    } finally {
      message.ack();
    }
  }

  private onReading(message: BusMessage): void {
    this.stats.received++;
    this.o.metrics.received.inc();
    const meterId = this.readingTopicMeter(message.topic);
    if (typeof meterId !== 'string') {
      this.reject(message, 'MG_ERR_INGEST_TOPIC', meterId.reason);
      return;
    }
    const decoded = decodeReading(message.payload);
    if (!decoded.ok) return this.reject(message, decoded.code, decoded.message);
    const r = decoded.value;
    if (r.meter !== meterId) {
      return this.reject(
        message,
        'MG_ERR_INGEST_METER_MISMATCH',
        `payload meter ${r.meter} on topic of ${meterId}`,
      );
    }
    // The epoch ms from the decoder's calendar check: the timestamp is parsed once per reading.
    const check = { meter: r.meter, ts: decoded.tsMs, values: r.values };
    const refused = this.validator.check(check);
    if (refused) return this.reject(message, refused.code, refused.reason);
    this.validator.accept(check);
    this.buffer.push({
      reading: {
        meterId: r.meter,
        ts: new Date(decoded.tsMs),
        seq: r.seq,
        values: r.values,
        quality: r.quality ?? 'good',
        source: r.source ?? 'mqtt',
        historical: r.historical ?? false,
      },
      ack: message.ack,
    });
    if (this.buffer.length >= this.o.maxBuffered) this.o.bus.setPaused(true);
    this.schedule();
  }

  /**
   * The meter id of a reading topic, or why the topic is refused. A meter publishes on the same topic
   * every time, so the answers for good topics are kept (bounded by TOPIC_CACHE_SIZE, then started
   * afresh): splitting and pattern-checking each topic was 5 % of the gateway thread.
   */
  private readingTopicMeter(topic: string): string | { reason: string } {
    const known = this.topicMeters.get(topic);
    if (known !== undefined) return known;
    const parsed = this.o.topics.parse(topic);
    if (!parsed.ok) return { reason: parsed.reason };
    if (parsed.kind !== 'reading') return { reason: 'not a reading topic' };
    if (this.topicMeters.size >= TOPIC_CACHE_SIZE) this.topicMeters.clear();
    this.topicMeters.set(topic, parsed.meterId);
    return parsed.meterId;
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.buffer.length >= this.o.batchSize || this.letters.length >= this.o.batchSize) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.kick();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, this.o.batchIntervalMs);
    }
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushOnce(true).finally(() => {
      this.flushing = undefined;
      // What arrived during a write has already waited as long as the write took: that was its
      // batching window, so it goes now. Waiting batchIntervalMs more would idle the store a third
      // of the time under sustained load.
      if (this.running && (this.buffer.length || this.letters.length)) this.kick();
    });
  }

  /** Retry `fn` with backoff until it succeeds or (when `forever` is false or we stop) give up. */
  private async retry(what: string, fn: () => Promise<void>, forever: boolean): Promise<boolean> {
    let delay = 100;
    for (;;) {
      try {
        await fn();
        return true;
      } catch (err) {
        this.stats.storeErrors++;
        this.o.metrics.storeErrors.inc();
        this.o.log?.('warn', `${what} failed, retrying in ${delay} ms: ${(err as Error).message}`);
        if (!forever || !this.running) return false;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async flushOnce(forever: boolean): Promise<void> {
    if (this.letters.length) {
      const letters = this.letters.splice(0, this.o.batchSize);
      const ok = await this.retry(
        'dead-letter write',
        () => this.o.deadLetters.add(letters.map((l) => l.letter)),
        forever,
      );
      if (!ok) return;
      for (const l of letters) l.ack();
    }
    if (this.buffer.length === 0) return;
    const items = this.buffer.slice(0, this.o.batchSize);
    const readings = items.map((i) => i.reading);
    const started = process.hrtime.bigint();
    // Raw write, live state and rollups of a batch run side by side: with InfluxDB (another process)
    // the SQL work is done while the write is on the wire. Only the rollups' recompute path reads the
    // batch back from the store; it waits for the write.
    const written = this.retry('reading store write', () => this.o.store.write(readings), forever);
    const stored = written.then((ok) => {
      if (!ok) throw new Error('the reading store write did not complete');
    });
    stored.catch(() => {}); // reported through the rollup retry (or not needed at all)
    const results = await Promise.all([
      written,
      this.retry('live state update', () => this.o.lastReadings.update(readings), forever),
      this.retry('rollup update', () => this.o.rollups.apply(registerSamples(readings), { stored }), forever),
    ]);
    const ok = results.every(Boolean);
    if (!ok) return;
    this.buffer.splice(0, items.length);
    for (const i of items) i.ack();
    this.stats.stored += items.length;
    this.stats.batches++;
    this.o.metrics.stored.inc(items.length);
    this.o.metrics.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.o.metrics.buffered.set(this.buffer.length);
    if (this.buffer.length < this.o.maxBuffered / 2) this.o.bus.setPaused(false);
    try {
      this.o.onStored?.(readings);
    } catch (err) {
      this.o.log?.('warn', `live listener failed: ${(err as Error).message}`);
    }
  }
}

function registerSamples(readings: readonly StoredReading[]): RegisterSample[] {
  const out: RegisterSample[] = [];
  for (const r of readings) {
    const ts = r.ts.getTime();
    for (const obis in r.values) {
      if (isConsumptionRegister(obis)) out.push({ meterId: r.meterId, obis, ts, value: r.values[obis]! });
    }
  }
  return out;
}
