import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from 'aedes';
import { DEFAULT_MAX_PAYLOAD_BYTES, TopicScheme } from '../protocol/index.js';
import { decidePublish, decideSubscribe, type AclDecision } from './acl.js';
import { createRedisBackends, type RedisBackends } from './clustering.js';
import { IndexedMemoryPersistence } from './indexed-memory-persistence.js';
import { DurablePersistence } from './durable-persistence.js';
import { LruCache } from './decision-cache.js';
import { RevocationList } from './device-ca.js';
import { authenticateDevice, CONNACK_NOT_AUTHORIZED } from './authenticate.js';
import { BrokerError, type RefusalReason } from './errors.js';
import type { DeviceIdentity } from './identity.js';
import { startListeners, type Listeners, type Transport } from './listeners.js';
import { BrokerMetrics, type QueueDepths } from './metrics.js';
import { installPacketSizeGuard } from './packet-guard.js';
import { ClientIdPolicy } from './client-id-policy.js';
import { retainDecision } from './retain-policy.js';
import { TokenBucketLimiter } from './rate-limiter.js';
import type { BrokerLimits, BrokerLogger, MetergateBrokerOptions } from './options.js';

export type { BrokerLimits, BrokerLogger, MetergateBrokerOptions } from './options.js';

interface ClientState {
  transport: Transport;
  remoteAddress: string;
  socket: net.Socket | tls.TLSSocket;
  identity?: DeviceIdentity;
  publishAcl?: LruCache<AclDecision>;
}

const silentLogger: BrokerLogger = { info() {}, warn() {}, error() {}, debug() {} };

// Fixed header (≤ 5 bytes) + topic length prefix + packet id, plus a topic: scheme topics are short.
const PACKET_OVERHEAD_BYTES = 1024;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export class MetergateBroker {
  readonly metrics: BrokerMetrics;
  private broker: Aedes | undefined;
  private listeners: Listeners | undefined;
  private redis: RedisBackends | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly clients = new WeakMap<Client, ClientState>();
  private readonly log: BrokerLogger;
  private readonly scheme: TopicScheme;
  private clientIds: ClientIdPolicy | undefined;
  private durable: DurablePersistence | undefined;
  private readonly dropsByClient = new Map<string, number>();

  constructor(private readonly options: MetergateBrokerOptions = {}) {
    this.metrics = new BrokerMetrics(options.metricsRegistry ? { registry: options.metricsRegistry } : {});
    this.log = options.logger ?? silentLogger;
    this.scheme = new TopicScheme(options.topicPrefix);
  }

  /** The running aedes instance, e.g. for an in-process gateway (`aedes.subscribe`, `aedes.publish`). */
  get aedes(): Aedes {
    if (!this.broker) throw new BrokerError('MG_ERR_BROKER_STATE', 'broker is not started');
    return this.broker;
  }

  get ports(): { tcp?: number; tls?: number; ws?: number } {
    return this.listeners?.ports ?? {};
  }

  get limits(): Required<BrokerLimits> {
    const l = this.options.limits ?? {};
    return {
      maxPayloadBytes: l.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      maxTopicLevels: l.maxTopicLevels ?? 16,
      keepaliveMaxSeconds: l.keepaliveMaxSeconds ?? 1200,
      drainTimeoutMs: l.drainTimeoutMs ?? 30_000,
      maxClientBufferBytes: l.maxClientBufferBytes ?? 8 * 1024 * 1024,
      concurrency: l.concurrency ?? 100,
      queueLimit: l.queueLimit ?? 42,
      maxConnections: l.maxConnections ?? 10_000,
      connectionRate: l.connectionRate ?? { perSecond: 20, burst: 50 },
      connectTimeoutMs: l.connectTimeoutMs ?? 10_000,
    };
  }

  async start(): Promise<void> {
    if (this.broker) throw new BrokerError('MG_ERR_BROKER_STATE', 'broker already started');
    const o = this.options;
    const limits = this.limits;
    if (limits.maxTopicLevels > 100)
      throw new BrokerError('MG_ERR_BROKER_CONFIG', 'maxTopicLevels must be ≤ 100 (aedes ceiling)');
    await o.credentials?.start();
    const revocations = o.tls?.revokedFile ? new RevocationList(o.tls.revokedFile) : undefined;
    this.redis = o.redis ? createRedisBackends(o.redis) : undefined;

    const bound = {
      ...(o.maxQueuedPerClient !== undefined ? { maxQueuedPerClient: o.maxQueuedPerClient } : {}),
      onDrop: (clientId: string, packet: object) =>
        this.onQueueDrop(clientId, (packet as { topic?: string }).topic),
    };
    this.durable =
      !this.redis && o.dataDir
        ? new DurablePersistence({
            dir: o.dataDir,
            ...bound,
            ...(o.fsync ? { fsync: o.fsync } : {}),
            keepRetained: (topic, payload) => retainDecision(this.scheme, topic, payload).keep,
          })
        : undefined;
    const aedesOptions: AedesOptions = {
      ...(o.id ? { id: o.id } : {}),
      ...(this.redis
        ? { mq: this.redis.mq, persistence: this.redis.persistence }
        : { persistence: this.durable ?? new IndexedMemoryPersistence(bound) }),
      concurrency: limits.concurrency,
      queueLimit: limits.queueLimit,
      drainTimeout: limits.drainTimeoutMs,
      keepaliveLimit: limits.keepaliveMaxSeconds,
      maxTopicLevels: limits.maxTopicLevels,
      connectTimeout: limits.connectTimeoutMs,
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password, revocations).then(
          () => done(null, true),
          (err: AuthenticateError) => done(err, false),
        );
      },
      authorizePublish: (client, packet, done) => {
        // client is null only for a will of a client on a dead cluster node; wills were checked at
        // CONNECT (see checkWill), and only state topics make sense as a will anyway.
        if (!client) {
          const parsed = this.scheme.parse(packet.topic);
          return parsed.ok && (parsed.kind === 'edge-state' || parsed.kind === 'state')
            ? done(null)
            : done(new Error('orphan will refused'));
        }
        const st = this.clients.get(client);
        if (!st?.identity) return done(new Error('not authenticated'));
        if (packet.payload.length > limits.maxPayloadBytes) {
          this.refuse('payload-too-large', st, {
            clientId: client.id,
            topic: packet.topic,
            bytes: packet.payload.length,
          });
          return done(new Error('payload too large'));
        }
        const cache = st.publishAcl!;
        let d = cache.get(packet.topic);
        if (d === undefined) {
          d = decidePublish(st.identity, packet.topic, this.scheme);
          cache.set(packet.topic, d);
        }
        if (!d.ok) {
          this.refuse('acl-publish', st, { clientId: client.id, topic: packet.topic, detail: d.reason });
          // [MQTT-3.3.5-2] MQTT 3.1.1 has no negative PUBACK: the server closes the connection.
          return done(new Error(`publish refused: ${d.reason}`));
        }
        if (packet.retain)
          this.checkRetain(st, client.id, packet as { topic: string; payload: Buffer; retain: boolean });
        this.metrics.stats.messagesIn++;
        done(null);
      },
      authorizeSubscribe: (client, sub, done) => {
        const st = this.clients.get(client);
        const d = st?.identity
          ? decideSubscribe(st.identity, sub.topic, this.scheme)
          : { ok: false as const, reason: 'not authenticated' };
        if (!d.ok) {
          if (st)
            this.refuse('acl-subscribe', st, { clientId: client.id, topic: sub.topic, detail: d.reason });
          // [MQTT-3.9.3] SUBACK return code 0x80 (failure) for this filter; the connection stays up.
          return done(null, null);
        }
        done(null, sub);
      },
      authorizeForward: (_client, packet) => {
        this.metrics.stats.messagesOut++;
        return packet;
      },
    };
    const broker = await Aedes.createBroker(aedesOptions);
    this.broker = broker;
    this.clientIds = new ClientIdPolicy({
      credentials: o.credentials,
      strict: o.strictClientIds,
      store: this.durable,
    });
    if (this.durable)
      this.log.info({ dataDir: o.dataDir, ...this.durable.loadStats }, 'broker sessions loaded');
    broker.on('clientDisconnect', (client) => this.clientIds?.release(client.id, client, !client.clean));
    broker.on('clientError', (client, err) => this.onClientError(client, err));
    broker.on('connectionError', (client, err) => this.onClientError(client, err));

    const limiter = new TokenBucketLimiter(limits.connectionRate);
    const maxFrame = limits.maxPayloadBytes + PACKET_OVERHEAD_BYTES;
    try {
      const nothingGiven = o.port === undefined && !o.tls && !o.ws;
      this.listeners = await startListeners({
        host: o.host ?? '127.0.0.1',
        tcpPort: nothingGiven ? 1883 : o.port,
        tls: o.tls,
        ws: o.ws,
        maxFrameBytes: maxFrame,
        admit: (socket) => this.admit(socket, limiter, limits.maxConnections),
        onStream: (stream, transport, socket) => this.onStream(stream, transport, socket, maxFrame),
        onTlsRefused: (socket, reason) => {
          this.metrics.refused('bad-certificate');
          this.log.warn(
            { remoteAddress: socket.remoteAddress, reason: 'bad-certificate', detail: reason },
            'broker refused',
          );
        },
      });
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.metrics.attach({
      connectedClients: () => broker.connectedClients,
      queueDepths: () => this.queueDepths(),
    });
    // Slow consumers: drainTimeout catches a socket that never drains; this catches one that
    // drains too slowly and lets its buffer grow.
    this.sweepTimer = setInterval(() => this.sweepSlowConsumers(limits.maxClientBufferBytes), 1000);
    this.sweepTimer.unref();
    this.log.info({ ports: this.ports, id: broker.id, clustered: Boolean(this.redis) }, 'broker listening');
  }

  /** Close listeners and sessions, then the cluster backends. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.listeners?.close();
    this.listeners = undefined;
    const broker = this.broker;
    this.broker = undefined;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    this.clientIds = undefined;
    // After aedes closed its clients, so the last acknowledgements are in the journal.
    await this.durable?.destroy();
    this.durable = undefined;
    await this.redis?.close();
    this.redis = undefined;
    this.metrics.attach(undefined);
    await this.options.credentials?.stop();
  }

  private admit(socket: net.Socket, limiter: TokenBucketLimiter, maxConnections: number): boolean {
    const stats = this.metrics.stats;
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    if (stats.openConnections >= maxConnections) {
      this.refuse('max-connections', { remoteAddress }, { limit: maxConnections });
      return false;
    }
    if (!limiter.take(remoteAddress)) {
      this.refuse('rate-limited', { remoteAddress }, {});
      return false;
    }
    stats.openConnections++;
    socket.once('close', () => stats.openConnections--);
    return true;
  }

  private onStream(stream: Duplex, transport: Transport, socket: net.Socket, maxPacketBytes: number): void {
    const broker = this.broker;
    if (!broker) return void stream.destroy();
    const client = broker.handle(stream);
    const st: ClientState = { transport, socket, remoteAddress: socket.remoteAddress ?? 'unknown' };
    this.clients.set(client, st);
    const guarded = installPacketSizeGuard(client, maxPacketBytes, (bytes, cmd) =>
      this.refuse('packet-too-large', st, {
        clientId: client.id || undefined,
        cmd,
        bytes,
        limit: maxPacketBytes,
      }),
    );
    if (!guarded)
      this.log.warn({}, 'aedes parser internals changed: packet size is checked only after buffering');
  }

  private async authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    revocations: RevocationList | undefined,
  ): Promise<void> {
    const st = this.clients.get(client);
    if (!st) throw authError('unknown connection', CONNACK_NOT_AUTHORIZED);
    const o = this.options;
    const outcome = await authenticateDevice(
      {
        scheme: this.scheme,
        credentials: o.credentials,
        allowAnonymous: o.allowAnonymous,
        anonymousRole: o.anonymousRole,
        revocations,
      },
      {
        clientId: client.id,
        tlsSocket: st.transport === 'tls' ? (st.socket as tls.TLSSocket) : undefined,
        username,
        password,
        // aedes keeps the CONNECT will on the client until the session is up.
        willTopic: (client as unknown as { _will?: { topic?: string } | null })._will?.topic,
      },
    );
    if (!outcome.ok) {
      this.refuse(outcome.reason, st, {
        clientId: client.id,
        username,
        topic: outcome.topic,
        detail: outcome.detail,
      });
      throw authError(outcome.detail, outcome.returnCode);
    }
    // Refused here, before aedes registers the client, so the holder of the id keeps its
    // connection and session [MQTT-3.1.4-2]; see client-id-policy.ts.
    const policy = this.clientIds!;
    const owned = await policy.check(outcome.identity, client.id);
    if (!owned.ok) {
      this.refuse('client-id-taken', st, {
        clientId: client.id,
        username,
        owner: owned.owner,
        detail: owned.detail,
      });
      throw authError(owned.detail, CONNACK_NOT_AUTHORIZED);
    }
    policy.bind(client.id, outcome.identity, client, !client.clean);
    // A will is published later without authorizePublish: its retain flag is checked now.
    const will = (client as unknown as { _will?: { topic: string; payload: Buffer; retain: boolean } | null })
      ._will;
    if (will?.retain) this.checkRetain(st, client.id, will);
    st.identity = outcome.identity;
    st.publishAcl = new LruCache(o.aclCacheSize ?? 256);
  }

  /** Retained junk is not kept (retain-policy.ts): the flag is cleared, the message still flows. */
  private checkRetain(
    st: ClientState,
    clientId: string,
    packet: { topic: string; payload: Buffer; retain: boolean },
  ): void {
    const d = retainDecision(this.scheme, packet.topic, packet.payload);
    if (d.keep) return;
    packet.retain = false;
    this.refuse('retained-refused', st, { clientId, topic: packet.topic, detail: d.detail });
  }

  /** Queue bound hit (indexed-memory-persistence.ts): counted always, logged on the 1st, 1001st… */
  private onQueueDrop(clientId: string, topic: string | undefined): void {
    this.metrics.stats.queueDropped++;
    const n = (this.dropsByClient.get(clientId) ?? 0) + 1;
    if (this.dropsByClient.size > 10_000) this.dropsByClient.clear();
    this.dropsByClient.set(clientId, n);
    if (n % 1000 === 1)
      this.log.warn(
        { clientId, topic, droppedForClient: n, limit: this.options.maxQueuedPerClient ?? 100_000 },
        'broker queue full: newest message dropped',
      );
  }

  private onClientError(client: Client, err: Error): void {
    const st = this.clients.get(client);
    const m = err.message;
    if (m.includes('too many levels'))
      this.refuse('too-many-levels', st ?? { remoteAddress: '?' }, { clientId: client.id });
    else if (m === 'keep alive limit exceeded')
      this.refuse('keepalive', st ?? { remoteAddress: '?' }, { clientId: client.id });
    this.log.debug({ clientId: client?.id, err: m }, 'client error');
  }

  private refuse(
    reason: RefusalReason,
    st: Partial<ClientState> & { remoteAddress: string },
    extra: object,
  ): void {
    this.metrics.refused(reason);
    this.log.warn(
      {
        identity: st.identity ? `${st.identity.role}:${st.identity.id}` : undefined,
        remoteAddress: st.remoteAddress,
        reason,
        ...extra,
      },
      'broker refused',
    );
  }

  private clientList(): Client[] {
    const map = (this.broker as unknown as { clients?: Record<string, Client> } | undefined)?.clients;
    return map ? Object.values(map) : [];
  }

  private queueDepths(): QueueDepths {
    let totalBytes = 0;
    let maxBytes = 0;
    for (const c of this.clientList()) {
      const n = (c.conn as Duplex).writableLength ?? 0;
      totalBytes += n;
      if (n > maxBytes) maxBytes = n;
    }
    return { totalBytes, maxBytes };
  }

  private sweepSlowConsumers(limit: number): void {
    for (const c of this.clientList()) {
      if (((c.conn as Duplex).writableLength ?? 0) > limit) {
        const st = this.clients.get(c);
        this.refuse('slow-consumer', st ?? { remoteAddress: '?' }, { clientId: c.id, limit });
        c.close();
      }
    }
  }
}

export function createMetergateBroker(options: MetergateBrokerOptions = {}): MetergateBroker {
  return new MetergateBroker(options);
}
