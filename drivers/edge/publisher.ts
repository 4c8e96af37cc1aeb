import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { TopicScheme } from '../../protocol/index.js';
import { type EdgeState, type MeterState } from '../../protocol/index.js';
import { backoffDelay } from '../backoff.js';
import type { Outbox, OutboxEntry } from '../outbox/outbox.js';

export interface PublisherOptions {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  edgeId: string;
  topics: TopicScheme;
  outbox: Outbox;
  /** QoS 1 publishes awaiting PUBACK at once. */
  window?: number;
  connectTimeoutMs?: number;
  /** How long stop() keeps publishing to empty the outbox before it leaves the rest on disk. */
  drainTimeoutMs?: number;
  onAck?: (entry: OutboxEntry) => void;
  edgeStateExtra?: () => { meters?: number; outboxDepth?: number };
  /** Topic filters subscribed (QoS 1) on every connection, e.g. this edge's meters' commands. */
  subscriptions?: string[];
  onMessage?: (topic: string, payload: Buffer) => void;
  logger?: Logger;
}

/**
 * Publishes the outbox over MQTT QoS 1 and removes an entry only on its PUBACK [MQTT-4.3.2].
 *
 * MQTT.js keeps unacknowledged QoS 1 packets in an in-memory store and resends them on reconnect;
 * we do not rely on it: each connection is a fresh MqttClient (reconnectPeriod 0) that is discarded
 * when the connection drops, and whatever it had in flight is still in the on-disk outbox and goes
 * out again on the next connection. Entries appended while connected go out live; everything else
 * (appended during an outage, in flight when the connection dropped, or recovered from disk after a
 * restart) is a replay and carries `historical: true`.
 *
 * The edge's retained `edges/{id}/state`: online:true (status online) once connected; on a clean stop
 * online:false with status `stopped`, then a DISCONNECT so the broker discards the last will
 * [MQTT-3.1.2-10]; the will itself (crash, lost link) says status `lost` [MQTT-3.1.2-8].
 */
export class MqttPublisher {
  private readonly opts: PublisherOptions & {
    window: number;
    connectTimeoutMs: number;
    drainTimeoutMs: number;
  };
  private client: MqttClient | null = null;
  private generation = 0;
  private connected = false;
  private stopped = true;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly inflight = new Set<number>();
  /** Generation during which an entry was appended while connected (absent = not live). */
  private readonly liveGen = new Map<number, number>();
  private readonly meterStates = new Map<string, MeterState>();
  private drainWaiters: Array<() => void> = [];

  constructor(opts: PublisherOptions) {
    this.opts = { window: 256, connectTimeoutMs: 5000, drainTimeoutMs: 5000, ...opts };
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.connect();
  }

  /** Tries to empty the outbox (bounded by drainTimeoutMs), then says offline and disconnects. */
  async stop(): Promise<void> {
    if (this.connected && this.opts.outbox.stats().depth > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.opts.drainTimeoutMs);
        this.drainWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    if (client && this.connected) {
      await new Promise<void>((resolve) => {
        client.publish(
          this.opts.topics.edgeState(this.opts.edgeId),
          JSON.stringify(this.edgeState(false, 'stopped')),
          { qos: 1, retain: true },
          () => resolve(),
        );
        setTimeout(resolve, 1000);
      });
    }
    const wasConnected = this.connected;
    this.connected = false;
    if (client) {
      // A normal DISCONNECT (not a forced close): only then does the broker drop the will instead of
      // publishing it over the `stopped` state we just retained.
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => client.end(true, {}, () => resolve()), 2000);
        client.end(!wasConnected, {}, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Stores the reading durably, then publishes it when the link allows. */
  enqueue(topic: string, body: Record<string, unknown>): OutboxEntry {
    const entry = this.opts.outbox.append(topic, body);
    if (this.connected) this.liveGen.set(entry.id, this.generation);
    this.pump();
    return entry;
  }

  /** Retained meter health; the latest per meter is re-sent after every reconnect. */
  publishMeterState(state: MeterState): void {
    this.meterStates.set(state.meter, state);
    if (this.connected && this.client)
      this.client.publish(this.opts.topics.state(state.meter), JSON.stringify(state), {
        qos: 1,
        retain: true,
      });
  }

  private edgeState(online: boolean, status: 'online' | 'stopped' | 'lost'): EdgeState {
    const extra = this.opts.edgeStateExtra?.() ?? {};
    return { v: 1, edge: this.opts.edgeId, ts: new Date().toISOString(), online, status, ...extra };
  }

  private connect(): void {
    if (this.stopped) return;
    const gen = ++this.generation;
    const client = mqtt.connect(this.opts.url, {
      clientId: this.opts.clientId,
      username: this.opts.username,
      password: this.opts.password,
      // A persistent session: the broker keeps this edge's command subscriptions and queues the
      // gateway's QoS 1 commands while it is away [MQTT-3.1.2-4]; they arrive on reconnect, and the
      // command handler still refuses any past its expiry. (The outbox, not the session, carries
      // what the edge publishes: each connection's client starts with an empty outgoing store.)
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: this.opts.connectTimeoutMs,
      queueQoSZero: false,
      will: {
        topic: this.opts.topics.edgeState(this.opts.edgeId),
        payload: Buffer.from(JSON.stringify(this.edgeState(false, 'lost'))),
        qos: 1,
        retain: true,
      },
    });
    this.client = client;
    client.on('connect', () => {
      if (gen !== this.generation) return;
      this.connected = true;
      this.attempts = 0;
      this.opts.logger?.info({ url: this.opts.url }, 'mqtt connected');
      if (this.opts.subscriptions?.length) client.subscribe(this.opts.subscriptions, { qos: 1 });
      client.publish(
        this.opts.topics.edgeState(this.opts.edgeId),
        JSON.stringify(this.edgeState(true, 'online')),
        {
          qos: 1,
          retain: true,
        },
      );
      for (const s of this.meterStates.values())
        client.publish(this.opts.topics.state(s.meter), JSON.stringify(s), { qos: 1, retain: true });
      this.pump();
    });
    const lost = (why: string) => {
      if (gen !== this.generation) return;
      this.generation++; // callbacks of this client are stale from now on
      const wasConnected = this.connected;
      this.connected = false;
      this.inflight.clear();
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
      if (this.stopped) return;
      if (wasConnected) this.opts.logger?.warn({ why }, 'mqtt connection lost; readings stay in the outbox');
      // A broker that refuses us from the start (wrong URL, password, or an edgeId the broker does not
      // know) must be visible, without a line per retry.
      else if (this.attempts % 20 === 0)
        this.opts.logger?.warn(
          { why, attempts: this.attempts + 1 },
          'cannot connect to the broker; readings stay in the outbox, retrying',
        );
      const delay = backoffDelay(this.attempts++, { baseMs: 200, maxMs: 10_000, jitter: 0.5 });
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    };
    client.on('message', (topic, payload) => {
      if (gen === this.generation) this.opts.onMessage?.(topic, payload);
    });
    client.on('close', () => lost('closed'));
    client.on('error', (err) => lost(err.message));
    client.on('offline', () => lost('offline'));
  }

  private pump(): void {
    const client = this.client;
    if (!this.connected || !client) return;
    const room = this.opts.window - this.inflight.size;
    if (room <= 0) return;
    const gen = this.generation;
    for (const entry of this.opts.outbox.pending(room, this.inflight)) {
      this.inflight.add(entry.id);
      const historical = entry.recovered || this.liveGen.get(entry.id) !== gen;
      // `json` is a JSON object: splice the flag in rather than parse and stringify again.
      const payload = !historical
        ? entry.json
        : entry.json === '{}'
          ? '{"historical":true}'
          : `${entry.json.slice(0, -1)},"historical":true}`;
      client.publish(entry.topic, payload, { qos: 1 }, (err) => {
        if (gen !== this.generation) return; // that connection is gone; the entry is still on disk
        this.inflight.delete(entry.id);
        if (err) return;
        this.liveGen.delete(entry.id);
        this.opts.outbox.ack(entry.id);
        this.opts.onAck?.(entry);
        this.pump();
      });
    }
    // Entries the outbox dropped (bounds) never get a PUBACK: forget their live marks too.
    if (this.liveGen.size > 2 * this.opts.window + this.opts.outbox.stats().depth) {
      const oldest = this.opts.outbox.pending(1)[0]?.id ?? Infinity;
      for (const id of this.liveGen.keys()) if (id < oldest) this.liveGen.delete(id);
    }
    if (this.inflight.size === 0 && this.opts.outbox.stats().depth === 0) {
      for (const w of this.drainWaiters.splice(0)) w();
    }
  }
}
