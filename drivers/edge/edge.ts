import path from 'node:path';
import type { Logger } from 'pino';
import { TopicScheme, validatePayload, type Reading } from '../../protocol/index.js';
import { getModel } from '../catalogue/index.js';
import { IecClient } from '../iec62056/client.js';
import { LineQueue } from '../line-queue.js';
import { RtuTransport } from '../modbus/rtu-transport.js';
import { TcpTransport } from '../modbus/tcp-transport.js';
import type { ModbusTransport } from '../modbus/transport.js';
import { FileOutbox } from '../outbox/file-outbox.js';
import type { Outbox } from '../outbox/outbox.js';
import type { EdgeConfig, MeterConfig } from './config.js';
import { MeterHealth } from './health.js';
import type { MeterReader, PollResult } from './meter-reader.js';
import { EdgeMetrics } from './metrics.js';
import { ModbusReader } from './modbus-reader.js';
import { MqttPublisher } from './publisher.js';
import { PollScheduler, type ScheduledMeter } from './scheduler.js';
import { SeqStore } from './seq-store.js';

export interface EdgeOptions {
  config: EdgeConfig;
  logger?: Logger;
  /** Swap the outbox backend (default: FileOutbox in config.outbox.dir). */
  outbox?: Outbox;
}

const DEFAULT_MAX_BYTES = 256 * 2 ** 20;
const DEFAULT_MAX_AGE_HOURS = 24 * 7;

/**
 * One edge process: transports per bus (a TCP connection per host:port shared by its unit ids, one
 * queue per serial line), a poll scheduler, seq numbers, the durable outbox and the MQTT publisher.
 * start() brings them up in dependency order; stop() polls no more, lets polls in progress land in
 * the outbox, drains what it can to the broker, and makes the rest durable for the next start.
 */
export class Edge {
  readonly metrics = new EdgeMetrics();
  private readonly opts: EdgeOptions;
  private outbox!: Outbox;
  private seq!: SeqStore;
  private publisher!: MqttPublisher;
  private scheduler!: PollScheduler;
  private transports: ModbusTransport[] = [];
  private readonly health = new Map<string, MeterHealth>();
  private topics!: TopicScheme;

  constructor(opts: EdgeOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    const cfg = this.opts.config;
    const log = this.opts.logger;
    this.topics = new TopicScheme(cfg.broker.prefix);
    this.outbox =
      this.opts.outbox ??
      new FileOutbox({
        dir: cfg.outbox.dir,
        maxBytes: cfg.outbox.maxBytes ?? DEFAULT_MAX_BYTES,
        maxAgeHours: cfg.outbox.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS,
        onDrop: (n, reason) => {
          this.metrics.dropped(n);
          log?.warn({ dropped: n, reason }, 'outbox dropped readings');
        },
      });
    await this.outbox.start();
    this.metrics.depth(this.outbox.stats().depth);
    this.seq = new SeqStore({ dir: path.join(cfg.outbox.dir, 'seq') });
    await this.seq.start(cfg.meters.map((m) => m.id));
    this.publisher = new MqttPublisher({
      url: cfg.broker.url,
      username: cfg.broker.username,
      password: cfg.broker.password,
      clientId: cfg.broker.clientId ?? `metergate-edge-${cfg.edgeId}`,
      edgeId: cfg.edgeId,
      topics: this.topics,
      outbox: this.outbox,
      logger: log,
      onAck: () => {
        this.metrics.published();
        this.metrics.depth(this.outbox.stats().depth);
      },
      edgeStateExtra: () => ({ meters: cfg.meters.length, outboxDepth: this.outbox.stats().depth }),
    });
    const meters = await this.buildMeters(cfg.meters);
    await this.publisher.start();
    this.scheduler = new PollScheduler({
      meters,
      maxConcurrentPolls: cfg.maxConcurrentPolls,
      onResult: (m, r, ts) => this.onResult(m, r, ts),
    });
    await this.scheduler.start();
    log?.info({ meters: meters.length, edge: cfg.edgeId }, 'edge started');
  }

  async stop(): Promise<void> {
    await this.scheduler?.stop();
    await this.publisher?.stop();
    await Promise.allSettled(this.transports.map((t) => t.stop()));
    await this.seq?.stop();
    await this.outbox?.stop();
    this.opts.logger?.info(this.metrics.snapshot(), 'edge stopped');
  }

  /** Plain-object view of the counters (polls ok/failed, published, outbox depth, dropped). */
  snapshot(): ReturnType<EdgeMetrics['snapshot']> {
    if (this.outbox) this.metrics.depth(this.outbox.stats().depth);
    return this.metrics.snapshot();
  }

  private async buildMeters(configs: readonly MeterConfig[]): Promise<ScheduledMeter[]> {
    const tcp = new Map<string, TcpTransport>();
    const rtu = new Map<string, RtuTransport>();
    const iecLines = new Map<string, LineQueue>();
    const out: ScheduledMeter[] = [];
    for (const m of configs) {
      const t = m.transport;
      let reader: MeterReader;
      if (t.type === 'iec') {
        let q = iecLines.get(t.path);
        if (!q) iecLines.set(t.path, (q = new LineQueue({ maxPending: 100 })));
        reader = new IecClient({
          path: t.path,
          address: t.address,
          maxBaud: t.maxBaud,
          lineQueue: q,
          timeoutMs: m.timeoutMs,
        });
      } else {
        let transport: ModbusTransport;
        if (t.type === 'tcp') {
          const key = `${t.host}:${t.port ?? 502}`;
          let tr = tcp.get(key);
          if (!tr) {
            tr = new TcpTransport({ host: t.host, port: t.port ?? 502, maxInFlight: t.maxInFlight ?? 1 });
            tcp.set(key, tr);
            this.transports.push(tr);
            await tr.start();
          }
          transport = tr;
        } else {
          let tr = rtu.get(t.path);
          if (!tr) {
            // Modbus over serial line §2.5.1: even parity is the default.
            tr = new RtuTransport({ path: t.path, baudRate: t.baud ?? 9600, parity: t.parity ?? 'even' });
            rtu.set(t.path, tr);
            this.transports.push(tr);
            await tr.start();
          }
          transport = tr;
        }
        reader = new ModbusReader({
          transport,
          unitId: t.unitId ?? 1,
          model: getModel(m.model!),
          timeoutMs: m.timeoutMs,
          retries: m.retries,
        });
      }
      this.health.set(m.id, new MeterHealth(m.id));
      out.push({ id: m.id, intervalMs: Math.round(m.interval * 1000), reader });
    }
    return out;
  }

  private onResult(meter: ScheduledMeter, result: PollResult, ts: string): void {
    const health = this.health.get(meter.id)!;
    if (!result.ok) {
      this.metrics.pollFailed();
      this.publisher.publishMeterState(health.failure(ts, result.reason));
      this.opts.logger?.debug({ meter: meter.id, reason: result.reason }, 'poll failed');
      return;
    }
    const reading: Reading = {
      v: 1,
      meter: meter.id,
      seq: this.seq.take(meter.id),
      ts,
      values: result.values,
      quality: 'good',
      source: meter.reader.source,
    };
    const check = validatePayload('reading', reading);
    if (!check.ok) {
      // Decoded registers outside the schema (e.g. a magnitude beyond 1e15): reported, never sent.
      this.metrics.pollFailed();
      this.publisher.publishMeterState(health.failure(ts, `reading rejected: ${check.message}`));
      return;
    }
    this.metrics.pollOk();
    const state = health.success(ts);
    if (state) this.publisher.publishMeterState(state);
    this.publisher.enqueue(this.topics.reading(meter.id), reading as unknown as Record<string, unknown>);
    this.metrics.depth(this.outbox.stats().depth);
  }
}
