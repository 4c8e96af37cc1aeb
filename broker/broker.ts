import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { Aedes, type AedesOptions, type AuthenticateError, type Client } from 'aedes';
import type { Registry } from 'prom-client';
import { DEFAULT_MAX_PAYLOAD_BYTES, TopicScheme } from '../protocol/index.js';
import { decidePublish, decideSubscribe, type AclDecision } from './acl.js';
import { createRedisBackends, type RedisBackends, type RedisClusterOptions } from './clustering.js';
import { IndexedMemoryPersistence } from './indexed-memory-persistence.js';
import type { CredentialStore } from './credential-store.js';
import { LruCache } from './decision-cache.js';
import { RevocationList } from './device-ca.js';
import { authenticateDevice, CONNACK_NOT_AUTHORIZED } from './authenticate.js';
import { BrokerError, type RefusalReason } from './errors.js';
import type { DeviceIdentity, Role } from './identity.js';
import { startListeners, type Listeners, type TlsListenerOptions, type Transport } from './listeners.js';
import { BrokerMetrics, type QueueDepths } from './metrics.js';
import { installPacketSizeGuard } from './packet-guard.js';
import { TokenBucketLimiter } from './rate-limiter.js';

/** What the broker logs through; pino fits. Refusals go to `warn` with client id, topic and reason. */
export interface BrokerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export interface BrokerLimits {
  /** Largest PUBLISH payload accepted. Default: protocol DEFAULT_MAX_PAYLOAD_BYTES (64 KiB). */
  maxPayloadBytes?: number;
  /** Topic levels in PUBLISH/SUBSCRIBE (aedes maxTopicLevels, ≤ 100). Default 16: scheme topics have 6. */
  maxTopicLevels?: number;
  /** Longest keepalive a client may ask for, seconds; keepalive 0 (never) is refused. Default 1200. */
  keepaliveMaxSeconds?: number;
  /** Disconnect a client whose socket has not drained for this long (aedes drainTimeout). Default 30 s. */
  drainTimeoutMs?: number;
  /** Disconnect a client once this many bytes wait in its write buffer. Default 8 MiB. */
  maxClientBufferBytes?: number;
  /** Messages in flight inside the broker (aedes/mqemitter concurrency). Default 100. */
  concurrency?: number;
  /** Packets a client may queue before its session is up (aedes queueLimit). Default 42. */
  queueLimit?: number;
  /** Open connections on this node, all listeners together. Default 10 000. */
  maxConnections?: number;
  /** New connections per source address: token bucket. Default 20/s, burst 50. */
  connectionRate?: { perSecond: number; burst: number };
  /** Time allowed between TCP accept and CONNECT. Default 10 s. */
  connectTimeoutMs?: number;
}

export interface MetergateBrokerOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** MQTT/TCP port (0 = any free port). Omit for no TCP listener; default 1883 when nothing is given. */
  port?: number;
  tls?: TlsListenerOptions & {
    /** revoked.json of the device CA (see device-ca.ts); checked on every certificate login. */
    revokedFile?: string;
  };
  ws?: { port: number; path?: string };
  /** Device credentials. Without a store only certificates (and anonymous, if allowed) log in. */
  credentials?: CredentialStore;
  /** Accept clients without username or certificate. Default false. */
  allowAnonymous?: boolean;
  /** What an anonymous client may do (least privilege by default). Its id is its client id. */
  anonymousRole?: Role;
  topicPrefix?: string;
  limits?: BrokerLimits;
  /** Join a Redis-backed cluster of brokers. */
  redis?: RedisClusterOptions;
  /** aedes broker id (default random). */
  id?: string;
  logger?: BrokerLogger;
  /** Put the broker's metrics into this registry (e.g. the gateway's) instead of a new one. */
  metricsRegistry?: Registry;
  /** ACL decisions cached per client. Default 256 topics. */
  aclCacheSize?: number;
}

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

    const aedesOptions: AedesOptions = {
      ...(o.id ? { id: o.id } : {}),
      ...(this.redis
        ? { mq: this.redis.mq, persistence: this.redis.persistence }
        : { persistence: new IndexedMemoryPersistence() }),
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
    st.identity = outcome.identity;
    st.publishAcl = new LruCache(o.aclCacheSize ?? 256);
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
