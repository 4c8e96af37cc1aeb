import { Readable } from 'node:stream';
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
  const adapted = streamAdapter(persistence);
  return {
    mq,
    persistence: adapted,
    async close() {
      // aedes.close() closes mq (both pub/sub connections); the persistence connection is ours.
      await persistence.destroy().catch(() => undefined);
      if (store.status !== 'end') store.disconnect();
    },
  };
}

// aedes 1.2 pipes some persistence results (`createRetainedStreamCombi(...).pipe(...)` in
// lib/handlers/subscribe.js) and aedes-persistence (memory) returns Readable streams for them, but
// aedes-persistence-redis 11.2 returns async generators, so a SUBSCRIBE on a clustered broker throws
// "stream.pipe is not a function". Wrap those results as object-mode Readables; everything else
// (including the async `setup`, which aedes checks is an AsyncFunction) passes through bound.
const STREAM_METHODS = new Set([
  'createRetainedStream',
  'createRetainedStreamCombi',
  'outgoingStream',
  'streamWill',
  'getClientList',
]);

function streamAdapter<T extends object>(target: T): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(t);
      if (typeof prop !== 'string' || !STREAM_METHODS.has(prop)) return bound;
      return (...args: unknown[]) => {
        const result = bound(...args) as { pipe?: unknown; [Symbol.asyncIterator]?: unknown };
        if (result && typeof result.pipe !== 'function' && result[Symbol.asyncIterator]) {
          return Readable.from(result as AsyncIterable<unknown>, { objectMode: true });
        }
        return result;
      };
    },
  });
}
