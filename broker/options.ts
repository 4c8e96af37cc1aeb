import type { Registry } from 'prom-client';
import type { RedisClusterOptions } from './clustering.js';
import type { CredentialStore } from './credential-store.js';
import type { Role } from './identity.js';
import type { TlsListenerOptions } from './listeners.js';

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
  /**
   * Refuse client ids that are not the identity's own (`{id}`, `{id}:…`, or listed in its
   * credentials record), instead of letting an identity bind an unowned id. Default false; ids
   * that belong to another identity are refused either way (client-id-policy.ts).
   */
  strictClientIds?: boolean;
  /**
   * Keep sessions (subscriptions, queued QoS 1/2 messages, retained, wills, client-id bindings) in
   * this directory so a restart loses nothing (durable-persistence.ts). Ignored with `redis`, whose
   * persistence is durable already. Without either, sessions live in memory.
   */
  dataDir?: string;
  /** Durable store: 'always' = fdatasync before acknowledging; default every second. */
  fsync?: 'always' | 'interval';
  /** Queued QoS 1/2 messages kept per client; the newest are dropped beyond (counted). Default 100,000. */
  maxQueuedPerClient?: number;
}
