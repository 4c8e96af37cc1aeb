import { Redis } from 'ioredis';
import MQEmitterRedis from 'mqemitter-redis';
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js';

/**
 * Redis-backed message fan-out (mqemitter-redis) and session store (aedes-persistence-redis 11,
 * whose async class aedes 1.x requires) so several broker processes act as one: a message published
 * on one node reaches subscribers on every node, and a persistent (clean: false) session with its
 * queued QoS 1 messages follows the client to whichever node it reconnects to.
 *
 * `keyPrefix` namespaces both the pub/sub channels and the keys, so brokers of different
 * deployments (or test runs) can share one Redis without seeing each other.
 */
export interface RedisClusterOptions {
  url: string;
  keyPrefix?: string;
  /** Offline QoS 1/2 messages delivered to a client on reconnect (aedes-persistence-redis default 1000). */
  maxSessionDelivery?: number;
}

export interface RedisBackends {
  mq: unknown;
  persistence: unknown;
  close(): Promise<void>;
}

export const DEFAULT_REDIS_KEY_PREFIX = 'metergate:broker:';

export function createRedisBackends(opts: RedisClusterOptions): RedisBackends {
  const prefix = opts.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  // ioredis fails commands after 20 retries by default; a broker should not hang forever on a dead Redis.
  const connect = (keyPrefix?: string) =>
    new Redis(opts.url, { maxRetriesPerRequest: 3, ...(keyPrefix ? { keyPrefix } : {}) });
  const subConn = connect();
  const pubConn = connect();
  const store = connect(prefix);
  const mq = new MQEmitterRedis.MQEmitterRedisPrefix(prefix, { subConn, pubConn });
  const persistence = new AsyncRedisPersistence({
    conn: store,
    maxSessionDelivery: opts.maxSessionDelivery ?? 1000,
  });
  return {
    mq,
    persistence,
    async close() {
      // aedes.close() closes mq (both pub/sub connections); the persistence connection is ours.
      await persistence.destroy().catch(() => undefined);
      if (store.status !== 'end') store.disconnect();
    },
  };
}
