import { Type } from '@sinclair/typebox';
import { DEFAULT_TOPIC_PREFIX } from '../../../protocol/index.js';

// Each config section is its own schema so a module's options live beside the others without
// touching them; schema.ts composes the sections into the one validated document.

export const LogSection = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
  },
  { additionalProperties: false, default: {} },
);

export const MqttSection = Type.Object(
  {
    prefix: Type.String({ minLength: 1, default: DEFAULT_TOPIC_PREFIX }),
    /** External broker; when absent the processes that need one start the embedded broker. */
    url: Type.Optional(Type.String({ pattern: '^(mqtts?|wss?|tcp)://' })),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false, default: {} },
);

export const HttpSection = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    /**
     * Behind a reverse proxy: true (trust X-Forwarded-For), the number of proxy hops, or the
     * proxies' addresses/CIDRs (comma-separated), so rate limits and the failed-login limiter see
     * the client's address. Default false.
     */
    /**
     * The address customers reach the gateway at (links in SMS and e-mails, e.g.
     * https://agence.example.ma). Default http://<host>:<port>.
     */
    publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+$' })),
    trustProxy: Type.Union(
      [Type.Boolean(), Type.Integer({ minimum: 1, maximum: 10 }), Type.String({ minLength: 1 })],
      {
        default: false,
      },
    ),
  },
  { additionalProperties: false, default: {} },
);

export const DatabaseSection = Type.Object(
  {
    /** PostgreSQL URL; when absent the embedded PGlite in `dataDir` is used. */
    url: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  },
  { additionalProperties: false, default: {} },
);

export const RedisSection = Type.Object(
  {
    /** When set, jobs run on BullMQ and the broker may cluster; otherwise everything is in-process. */
    url: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  },
  { additionalProperties: false, default: {} },
);

export const InfluxSection = Type.Object(
  {
    /** InfluxDB base URL, reached through its v1-compatible API (/write, /query). */
    url: Type.Optional(Type.String({ pattern: '^https?://' })),
    database: Type.String({ minLength: 1, default: 'metergate' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
  },
  { additionalProperties: false, default: {} },
);
