import { Counter, Gauge, Registry } from 'prom-client';
import { REFUSAL_REASONS, type RefusalReason } from './errors.js';

/**
 * Broker counters kept as plain numbers on the hot path and read by prom-client only when scraped,
 * so counting a message costs an increment, not a label lookup. The gateway merges `registry` into
 * its /metrics (prom-client `Registry.merge`) or passes its own registry in.
 */
export interface BrokerStats {
  messagesIn: number;
  messagesOut: number;
  refusals: Record<RefusalReason, number>;
  openConnections: number;
  /** Messages not queued for a client because its queue was at its bound. */
  queueDropped: number;
}

export interface QueueDepths {
  /** Bytes waiting in client sockets' write buffers, summed and the largest one. */
  totalBytes: number;
  maxBytes: number;
}

export interface BrokerMetricsSource {
  connectedClients(): number;
  queueDepths(): QueueDepths;
}

export class BrokerMetrics {
  readonly stats: BrokerStats = {
    messagesIn: 0,
    messagesOut: 0,
    refusals: Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>,
    openConnections: 0,
    queueDropped: 0,
  };
  readonly registry: Registry;
  private source: BrokerMetricsSource | undefined;

  constructor(options: { registry?: Registry; prefix?: string } = {}) {
    this.registry = options.registry ?? new Registry();
    const p = options.prefix ?? 'metergate_broker_';
    const stats = this.stats;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const registers = [this.registry];
    new Gauge({
      name: `${p}connected_clients`,
      help: 'MQTT clients with an established session on this node',
      registers,
      collect() {
        this.set(self.source?.connectedClients() ?? 0);
      },
    });
    new Gauge({
      name: `${p}open_connections`,
      help: 'accepted network connections (TCP, TLS, WebSocket), before and after CONNECT',
      registers,
      collect() {
        this.set(stats.openConnections);
      },
    });
    new Counter({
      name: `${p}messages_in_total`,
      help: 'PUBLISH packets accepted from clients',
      registers,
      collect() {
        this.reset();
        this.inc(stats.messagesIn);
      },
    });
    new Counter({
      name: `${p}messages_out_total`,
      help: 'messages forwarded to subscribed clients',
      registers,
      collect() {
        this.reset();
        this.inc(stats.messagesOut);
      },
    });
    new Counter({
      name: `${p}refusals_total`,
      help: 'connections, packets and subscriptions refused, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const r of REFUSAL_REASONS) this.inc({ reason: r }, stats.refusals[r]);
      },
    });
    new Counter({
      name: `${p}queue_dropped_total`,
      help: 'QoS 1/2 messages dropped because the receiving client already had its maximum queued',
      registers,
      collect() {
        this.reset();
        this.inc(stats.queueDropped);
      },
    });
    new Gauge({
      name: `${p}queue_bytes`,
      help: 'bytes queued in client write buffers (slow consumers show here first)',
      labelNames: ['agg'],
      registers,
      collect() {
        const q = self.source?.queueDepths() ?? { totalBytes: 0, maxBytes: 0 };
        this.set({ agg: 'sum' }, q.totalBytes);
        this.set({ agg: 'max' }, q.maxBytes);
      },
    });
  }

  /** Called by the broker at start(); until then the gauges read zero. */
  attach(source: BrokerMetricsSource | undefined): void {
    this.source = source;
  }

  refused(reason: RefusalReason): void {
    this.stats.refusals[reason]++;
  }
}
