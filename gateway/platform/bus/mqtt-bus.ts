import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import {
  topicMatches,
  type BusHandler,
  type MessageBus,
  type PublishOptions,
  type SubscribeOptions,
} from './message-bus.js';

export interface MqttBusOptions {
  url: string;
  /** Stable id: the broker keeps this session (subscriptions, unacknowledged messages) across restarts. */
  clientId: string;
  username?: string;
  password?: string;
  /** 'auto' (default) tries MQTT 5 and falls back to 3.1.1 for brokers without it (aedes). */
  protocolVersion?: 4 | 5 | 'auto';
  /** MQTT 5 Receive Maximum: how many unacknowledged QoS 1 messages the broker may have in flight. */
  receiveMaximum?: number;
  /** MQTT 5 session expiry (s); the broker keeps queued messages this long while we are away. Default 1 day. */
  sessionExpirySeconds?: number;
  /** Clean start: drop any earlier session (tests, publishers). Default false. */
  clean?: boolean;
  connectTimeoutMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface Handler {
  filter: string;
  handler: BusHandler;
  manualAck: boolean;
}
/** Topics whose matching handlers are remembered: one per meter and message kind, a fleet's worth. */
const MATCH_CACHE_SIZE = 100_000;

interface PendingAck {
  acked: boolean;
  /** The PUBACK mqtt.js wanted to send, held until this and every earlier message is acknowledged. */
  puback?: Packet;
}

type PacketWithEntry = mqtt.IPublishPacket & { entry?: PendingAck };
type SendPacket = (
  packet: Packet,
  cb?: (err?: Error) => void,
  cbStorePut?: unknown,
  noStore?: boolean,
) => void;
interface Internals {
  _sendPacket: SendPacket;
  handleMessage: (packet: Packet, cb: (err?: Error) => void) => void;
}

function ignoreTrace(): void {}

/**
 * `fn`, callable any number of times, run once. The per-message closures of the hot path come from
 * factories like this one: returned anonymous, they escape the `__name()` wrapper that tsx (esbuild
 * keepNames) puts around each named closure, a defineProperty per message.
 */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/**
 * MessageBus over mqtt.js. Ack-after-write: mqtt.js sends a QoS 1 PUBACK as soon as its packet
 * pipeline has handled the PUBLISH, and its only hooks for delaying it (`customHandleAcks`,
 * `handleMessage`) stall that pipeline one message at a time. So the PUBACK mqtt.js produces is
 * intercepted at `_sendPacket` and held until the consumer calls `ack()`, in arrival order; the
 * pipeline keeps flowing and batches form. Unacknowledged messages stay with the broker's session
 * and are redelivered after a reconnect or a crash. Backpressure: `setPaused(true)` holds the
 * pipeline (so the socket, then the broker) when the consumer's bounded buffer is full.
 */
export class MqttBus implements MessageBus {
  private readonly options: MqttBusOptions;
  private client: MqttClient | undefined;
  private version: 4 | 5 = 4;
  private readonly handlers: Handler[] = [];
  /** Topic → its matching handlers (only topics with some). */
  private readonly matchCache = new Map<string, Handler[]>();
  private readonly subscriptions: Array<{ filter: string; qos: 0 | 1 }> = [];
  /** Messages of the current connection awaiting acknowledgement, in arrival order. */
  private pending: PendingAck[] = [];
  private byId = new Map<number, PendingAck>();
  private paused = false;
  private unclaimed: Array<{
    topic: string;
    payload: Buffer;
    packet: mqtt.IPublishPacket;
    generation: PendingAck[];
  }> = [];
  private sender: SendPacket | undefined;
  private active: MqttClient | undefined;
  private resumeWaiters: Array<() => void> = [];
  /** The generation a PUBACK release is queued for (see scheduleFlush). */
  private flushQueuedFor: PendingAck[] | undefined;

  constructor(options: MqttBusOptions) {
    this.options = options;
  }

  get protocolVersion(): 4 | 5 {
    return this.version;
  }
  get connected(): boolean {
    return this.client?.connected ?? false;
  }
  /** Messages received but not yet acknowledged to the broker. */
  get unacknowledged(): number {
    return this.pending.length;
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  private clientOptions(version: 4 | 5): IClientOptions {
    const o: IClientOptions = {
      clientId: this.options.clientId,
      username: this.options.username,
      password: this.options.password,
      protocolVersion: version,
      clean: this.options.clean ?? false,
      reconnectPeriod: 1000,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      resubscribe: true,
      // mqtt.js traces every packet through `debug`, which costs even when disabled (rest arguments,
      // an `enabled` getter; ~20 calls per reading, 2-3 % of the gateway thread). With DEBUG set, its
      // default tracing stays.
      log: process.env.DEBUG ? undefined : ignoreTrace,
    };
    if (version === 5) {
      o.properties = {
        receiveMaximum: this.options.receiveMaximum ?? 10_000,
        sessionExpiryInterval: this.options.sessionExpirySeconds ?? 86_400,
      };
    }
    return o;
  }

  private async connect(version: 4 | 5): Promise<MqttClient> {
    const client = mqtt.connect(this.options.url, { ...this.clientOptions(version), reconnectPeriod: 0 });
    // Hooks go in before the first packet: a resumed session sends its queued messages in the same
    // read as the CONNACK, and without them mqtt.js would acknowledge those straight away.
    this.active = client;
    this.install(client);
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        client.end(true);
        reject(err);
      };
      client.once('connect', () => {
        client.removeListener('error', fail);
        client.removeListener('close', onClose);
        client.options.reconnectPeriod = 1000;
        resolve(client);
      });
      const onClose = () => fail(new Error(`MQTT connection to ${this.options.url} closed before CONNACK`));
      client.once('error', fail);
      client.once('close', onClose);
    });
  }

  async start(): Promise<void> {
    const wanted = this.options.protocolVersion ?? 'auto';
    let client: MqttClient;
    if (wanted === 'auto') {
      try {
        client = await this.connect(5);
        this.version = 5;
      } catch (err) {
        this.log('info', `MQTT 5 refused (${(err as Error).message}); using MQTT 3.1.1`);
        client = await this.connect(4);
        this.version = 4;
      }
    } else {
      client = await this.connect(wanted);
      this.version = wanted;
    }
    this.client = client;
  }

  private install(client: MqttClient): void {
    const internals = client as unknown as Internals;
    const send = internals._sendPacket.bind(client);
    this.sender = send;
    internals._sendPacket = (packet, cb, cbStorePut, noStore) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        const entry = this.byId.get(packet.messageId);
        if (entry) {
          this.byId.delete(packet.messageId);
          entry.puback = packet;
          cb?.();
          this.flush(send);
          return;
        }
        // A PUBACK for a message of a connection that is gone: the broker redelivers that message
        // on the new connection, where this packet id may mean something else. Never send it.
        cb?.();
        return;
      }
      send(packet, cb, cbStorePut, noStore);
    };
    internals.handleMessage = (_packet, cb) => {
      if (!this.paused) cb();
      else this.resumeWaiters.push(() => cb());
    };
    client.on('message', (topic, payload, packet) => {
      if (this.active === client) this.dispatch(topic, payload, packet, send);
    });
    client.on('close', () => {
      if (this.active !== client) return;
      // Whatever was not acknowledged on this connection comes again with the DUP flag.
      this.pending = [];
      this.byId.clear();
      this.unclaimed = [];
    });
    // Probing for MQTT 5 against a 3.1.1-only broker (aedes) is refused by design before the fallback.
    client.on('error', (err) =>
      this.log(/Unacceptable protocol version/.test(err.message) ? 'info' : 'warn', `MQTT: ${err.message}`),
    );
    client.on('reconnect', () => this.log('info', 'MQTT reconnecting'));
  }

  /** Sends, in arrival order, the PUBACKs of the acknowledged messages at the head of the queue. */
  private flush(send: SendPacket): void {
    const pending = this.pending;
    let n = 0;
    while (n < pending.length && pending[n]!.acked && pending[n]!.puback) n++;
    if (n === 0) return;
    // One splice per release, not a shift per message: past ~16,000 entries V8 keeps the array in
    // large-object space, where every shift moves the whole rest of it.
    for (const e of pending.splice(0, n)) send(e.puback!);
  }

  /**
   * A store write acknowledges its whole batch in one synchronous loop: the release runs once after
   * that loop (a microtask), so the batch's PUBACKs leave in one pass — and, through mqtt-packet's
   * cork until the next tick, in one socket write — instead of a queue scan per message.
   */
  private scheduleFlush(generation: PendingAck[], send: SendPacket): void {
    if (this.flushQueuedFor === generation) return;
    this.flushQueuedFor = generation;
    queueMicrotask(() => {
      if (this.flushQueuedFor === generation) this.flushQueuedFor = undefined;
      if (generation === this.pending) this.flush(send);
    });
  }

  private dispatch(topic: string, payload: Buffer, packet: mqtt.IPublishPacket, send: SendPacket): void {
    let entry: PendingAck | undefined;
    if (packet.qos > 0 && packet.messageId !== undefined) {
      entry = { acked: false };
      this.pending.push(entry);
      this.byId.set(packet.messageId, entry);
    }
    const generation = this.pending;
    (packet as PacketWithEntry).entry = entry;
    const matching = this.matching(topic);
    if (matching.length === 0) {
      // A resumed session delivers queued messages right after CONNACK, before our subscribe()
      // calls have registered their handlers: keep them (unacknowledged) for the handler to come.
      this.unclaimed.push({ topic, payload, packet, generation });
      return;
    }
    this.deliver(matching, topic, payload, packet, entry, generation, send);
  }

  /**
   * The handlers whose filter matches `topic`. Devices publish on the same topics over and over, so
   * the answer is kept per topic (bounded, forgotten when a handler is added): matching every
   * filter against every message split both strings each time, 4 % of the gateway thread at ingest.
   */
  private matching(topic: string): Handler[] {
    const known = this.matchCache.get(topic);
    if (known) return known;
    const matching = this.handlers.filter((h) => topicMatches(h.filter, topic));
    if (matching.length) {
      if (this.matchCache.size >= MATCH_CACHE_SIZE) this.matchCache.clear();
      this.matchCache.set(topic, matching);
    }
    return matching;
  }

  private deliver(
    matching: Handler[],
    topic: string,
    payload: Buffer,
    packet: mqtt.IPublishPacket,
    entry: PendingAck | undefined,
    generation: PendingAck[],
    send: SendPacket,
  ): void {
    const ackOne = this.acknowledger(matching.length, entry, generation, send);
    for (const h of matching) {
      // One handler (the usual case): the acknowledger is already idempotent once the entry is acked.
      const ack = matching.length === 1 ? ackOne : once(ackOne);
      const message = {
        topic,
        payload,
        qos: packet.qos,
        retain: packet.retain,
        duplicate: packet.dup,
        ack,
      };
      try {
        const r = h.handler(message);
        if (!h.manualAck) {
          if (r instanceof Promise) r.then(ack, (err) => (this.log('error', `handler: ${err}`), ack()));
          else ack();
        }
      } catch (err) {
        this.log('error', `handler for ${h.filter} threw: ${(err as Error).message}`);
        ack();
      }
    }
  }

  /** Marks the message acknowledged once each of its `handlers` has acknowledged it. */
  private acknowledger(
    handlers: number,
    entry: PendingAck | undefined,
    generation: PendingAck[],
    send: SendPacket,
  ): () => void {
    let remaining = handlers;
    return () => {
      if (!entry || entry.acked) return;
      if (--remaining > 0) return;
      entry.acked = true;
      if (generation === this.pending) this.scheduleFlush(generation, send);
    };
  }

  async subscribe(filter: string, handler: BusHandler, options: SubscribeOptions = {}): Promise<void> {
    const client = this.requireClient();
    const qos = options.qos ?? 1;
    const wire = options.shareGroup && this.version === 5 ? `$share/${options.shareGroup}/${filter}` : filter;
    const h = { filter, handler, manualAck: options.manualAck ?? false };
    this.handlers.push(h);
    this.matchCache.clear();
    const waiting = this.unclaimed.filter((u) => topicMatches(filter, u.topic));
    if (waiting.length) {
      this.unclaimed = this.unclaimed.filter((u) => !topicMatches(filter, u.topic));
      for (const u of waiting) {
        if (u.generation !== this.pending) continue; // its connection is gone; it comes again
        this.deliver(
          [h],
          u.topic,
          u.payload,
          u.packet,
          (u.packet as PacketWithEntry).entry,
          u.generation,
          this.sender!,
        );
      }
    }
    this.subscriptions.push({ filter: wire, qos });
    const granted = await client.subscribeAsync(wire, { qos });
    const bad = granted.find((g) => g.qos !== qos && g.qos !== 0);
    if (granted.some((g) => g.qos >= 128) || bad) {
      throw new Error(
        `broker refused subscription ${wire} (granted ${JSON.stringify(granted.map((g) => g.qos))})`,
      );
    }
  }

  async publish(topic: string, payload: string | Buffer, options: PublishOptions = {}): Promise<void> {
    await this.requireClient().publishAsync(topic, payload, {
      qos: options.qos ?? 1,
      retain: options.retain ?? false,
    });
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) {
      const waiters = this.resumeWaiters;
      this.resumeWaiters = [];
      for (const w of waiters) w();
    }
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error('MqttBus used before start()');
    return this.client;
  }

  /** `force`: drop the connection without a DISCONNECT, as a crash would (tests, fault drills). */
  async stop(options: { force?: boolean } = {}): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.pending = [];
    this.byId.clear();
    this.setPaused(false);
    if (client) await client.endAsync(options.force ?? false);
  }
}
