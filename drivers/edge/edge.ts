import path from 'node:path';
import type { Logger } from 'pino';
import {
  lookupObis,
  TopicScheme,
  validatePayload,
  type MeterEvent,
  type MeterLocation,
  type Reading,
} from '../../protocol/index.js';
import { getModel } from '../catalogue/index.js';
import { dlmsReaderFor } from '../dlms/edge-config.js';
import { DlmsEdgeReader } from '../dlms/edge-reader.js';
import { dlmsPushListenerFor, type PushedPowerEvent, type PushedReading } from '../dlms/edge-push.js';
import type { DlmsPushListener } from '../dlms/push-listener.js';
import { IecClient } from '../iec62056/client.js';
import { LineQueue } from '../line-queue.js';
import { RtuTransport } from '../modbus/rtu-transport.js';
import { TcpTransport } from '../modbus/tcp-transport.js';
import type { ModbusTransport } from '../modbus/transport.js';
import { FileOutbox } from '../outbox/file-outbox.js';
import type { Outbox } from '../outbox/outbox.js';
import type { EdgeConfig, MeterConfig } from './config.js';
import { CommandHandler, type CommandTarget } from './commands.js';
import { ExecutedCommands } from './executed-commands.js';
import { MeterHealth } from './health.js';
import { meterLocations } from './meter-location.js';
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
  private commands: CommandHandler | null = null;
  private executed: ExecutedCommands | null = null;
  private push: DlmsPushListener | undefined;
  private locations = new Map<string, MeterLocation>();

  constructor(opts: EdgeOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    const cfg = this.opts.config;
    const log = this.opts.logger;
    this.topics = new TopicScheme(cfg.broker.prefix);
    const located = meterLocations(cfg);
    this.locations = located.locations;
    for (const e of located.errors) log?.error(`edge.yaml: ${e} (location not published)`);
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
    await this.seq.start([...cfg.meters.map((m) => m.id), ...(cfg.dlmsPush?.meters.map((m) => m.id) ?? [])]);
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
      subscriptions: CommandHandler.filters(
        this.topics,
        cfg.meters.map((m) => m.id),
      ),
      onMessage: (topic, payload) => {
        void this.commands
          ?.handle(topic, payload)
          .catch((err: Error) => log?.warn({ topic, err: err.message }, 'command failed'));
      },
    });
    const meters = await this.buildMeters(cfg.meters);
    const targets = new Map<string, CommandTarget>();
    for (const m of meters)
      if (m.reader instanceof ModbusReader || m.reader instanceof DlmsEdgeReader) targets.set(m.id, m.reader);
    // Command ids taken survive a restart (a redelivered relay command is not executed twice).
    this.executed = new ExecutedCommands({ dir: path.join(cfg.outbox.dir, 'commands') });
    await this.executed.start();
    this.commands = new CommandHandler({
      topics: this.topics,
      targets,
      executed: this.executed,
      publishEvent: (id, event) => {
        // The edge's own audit line for every command it answered (the gateway stores the event).
        const { command, cmd, outcome, field, relay, detail } = event;
        log?.info({ meter: id, command, cmd, outcome, field, relay, detail }, 'command answered');
        this.publisher.enqueue(this.topics.event(id), event as unknown as Record<string, unknown>);
      },
      onRead: (id, r) => {
        const m = meters.find((x) => x.id === id);
        if (m) this.onResult(m, r, new Date().toISOString());
      },
    });
    await this.publisher.start();
    this.scheduler = new PollScheduler({
      meters,
      maxConcurrentPolls: cfg.maxConcurrentPolls,
      onResult: (m, r, ts) => this.onResult(m, r, ts),
    });
    await this.scheduler.start();
    if (cfg.dlmsPush) {
      for (const m of cfg.dlmsPush.meters)
        this.health.set(m.id, new MeterHealth(m.id, this.locations.get(m.id)));
      this.push = dlmsPushListenerFor(
        cfg.dlmsPush,
        process.env,
        (r) => this.onPushed(r),
        (err) => log?.debug({ code: err.code, reason: err.message }, 'DLMS push rejected'),
        (e) => this.onPowerEvent(e),
      );
      await this.push.start();
    }
    log?.info({ meters: meters.length, edge: cfg.edgeId }, 'edge started');
  }

  async stop(): Promise<void> {
    await this.push?.stop();
    await this.scheduler?.stop();
    await this.publisher?.stop();
    await this.executed?.stop();
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
      if (t.type === 'dlms') {
        reader = dlmsReaderFor(
          m.id,
          t,
          m.timeoutMs,
          path.join(this.opts.config.outbox.dir, 'dlms'),
          process.env,
        );
      } else if (t.type === 'iec') {
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
            tr = new TcpTransport({
              host: t.host,
              port: t.port ?? 502,
              maxInFlight: t.maxInFlight ?? 1,
              ...(t.framing ? { framing: t.framing } : {}),
              ...(t.pauseMs !== undefined ? { pauseMs: t.pauseMs } : {}),
              ...(t.ignoreTransactionId ? { ignoreTransactionId: true } : {}),
            });
            tcp.set(key, tr);
            this.transports.push(tr);
            await tr.start();
          }
          transport = tr;
        } else {
          let tr = rtu.get(t.path);
          if (!tr) {
            // Modbus over serial line §2.5.1/§2.5.2: even parity is the default; one mode per line
            // (config validation refuses RTU and ASCII meters on one path).
            tr = new RtuTransport({
              path: t.path,
              baudRate: t.baud ?? 9600,
              parity: t.parity ?? 'even',
              framing: t.type,
            });
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
          ...(m.maxGap !== undefined ? { maxGap: m.maxGap } : {}),
          ...(t.type === 'tcp' && t.closeAfterPoll ? { closeAfterPoll: true } : {}),
          ...(t.type === 'tcp' && t.reconnectAfterTimeouts !== undefined
            ? { reconnectAfterTimeouts: t.reconnectAfterTimeouts }
            : {}),
        });
      }
      this.health.set(m.id, new MeterHealth(m.id, this.locations.get(m.id)));
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
      values: obisValues(result.values),
      quality: 'good',
      source: meter.reader.source,
      ...(result.missing?.length ? { missing: result.missing } : {}),
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
    this.enqueueHistorical(meter, result);
    this.metrics.depth(this.outbox.stats().depth);
  }

  /** A DLMS DataNotification pushed by a meter: one live reading. */
  private onPushed(r: PushedReading): void {
    const reading: Reading = {
      v: 1,
      meter: r.meterId,
      seq: this.seq.take(r.meterId),
      ts: r.ts,
      values: r.values,
      quality: 'good',
      source: 'dlms',
    };
    if (!validatePayload('reading', reading).ok) return;
    const state = this.health.get(r.meterId)?.success(r.ts);
    if (state) this.publisher.publishMeterState(state);
    this.publisher.enqueue(this.topics.reading(r.meterId), reading as unknown as Record<string, unknown>);
    this.metrics.depth(this.outbox.stats().depth);
  }

  /** A pushed "last gasp" or power-up: a meter event, through the outbox like a reading. */
  private onPowerEvent(e: PushedPowerEvent): void {
    const event: MeterEvent = {
      v: 1,
      meter: e.meterId,
      ts: e.ts,
      kind: e.kind,
      detail:
        e.kind === 'power.failure'
          ? 'DLMS standard event 1 (power down)'
          : 'DLMS standard event 2 (power up)',
    };
    if (!validatePayload('event', event).ok) return;
    this.opts.logger?.info({ meter: e.meterId, kind: e.kind, ts: e.ts }, 'DLMS power event');
    this.publisher.enqueue(this.topics.event(e.meterId), event as unknown as Record<string, unknown>);
    this.metrics.depth(this.outbox.stats().depth);
  }

  /** A meter's own load profile entries (DLMS): historical readings, then the reader's cursor moves. */
  private enqueueHistorical(meter: ScheduledMeter, result: PollResult & { ok: true }): void {
    for (const h of result.historical ?? []) {
      const reading: Reading = {
        v: 1,
        meter: meter.id,
        seq: this.seq.take(meter.id),
        ts: h.ts,
        values: h.values,
        quality: 'good',
        source: meter.reader.source,
        historical: true,
      };
      if (!validatePayload('reading', reading).ok) continue;
      this.publisher.enqueue(this.topics.reading(meter.id), reading as unknown as Record<string, unknown>);
    }
    result.commit?.();
  }
}

/** Only OBIS-keyed numbers are readings; named fields (relay state, settings) are not published. */
function obisValues(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (lookupObis(k)?.numeric) out[k] = v;
  return out;
}
