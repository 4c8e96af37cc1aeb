// Minimal typings for the Redis clustering packages, which ship none. Only what broker/ uses.
declare module 'mqemitter-redis' {
  import type { Redis } from 'ioredis';
  interface MQEmitterRedisOptions {
    subConn?: Redis;
    pubConn?: Redis;
    connectionString?: string;
  }
  interface MQEmitterRedisInstance {
    close(cb: () => void): void;
  }
  function MQEmitterRedis(opts: MQEmitterRedisOptions): MQEmitterRedisInstance;
  namespace MQEmitterRedis {
    const MQEmitterRedisPrefix: new (prefix: string, opts: MQEmitterRedisOptions) => MQEmitterRedisInstance;
  }
  export = MQEmitterRedis;
}

declare module 'aedes-persistence-redis/asyncPersistence.js' {
  import type { Redis } from 'ioredis';
  class AsyncRedisPersistence {
    constructor(opts: { conn?: Redis; maxSessionDelivery?: number; packetTTL?: () => number });
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  }
  export = AsyncRedisPersistence;
}

// aedes-persistence ships typings for its async memory class but no export path to them.
declare module 'aedes-persistence/asyncPersistence.js' {
  import MemoryPersistence from 'aedes-persistence/types/asyncPersistence.js';
  export default MemoryPersistence;
}
