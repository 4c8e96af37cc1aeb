import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import { authPlugin, type AuthPluginOptions } from './auth/index.js';
import type { SqlDatabase } from './db/index.js';
import { healthPlugin, type HealthReport } from './health/index.js';
import type { DeadLetterStore } from './ingest/index.js';
import { livePlugin, type LiveHub } from './live/index.js';
import { metersPlugin } from './meters/index.js';
import type { LastReadingStore, ReadingStore } from './readings/index.js';
import type { RollupStore } from './rollups/index.js';

/** A feature plugin added by the lead (vending, analytics, …) with its options. */
export interface GatewayFeature {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  plugin: FastifyPluginAsync<any>;
  options?: Record<string, unknown>;
}

export interface BuildGatewayAppOptions {
  db: SqlDatabase;
  readings: ReadingStore;
  lastReadings: LastReadingStore;
  rollups: RollupStore;
  live: LiveHub;
  deadLetters?: DeadLetterStore;
  health: () => Promise<HealthReport>;
  /** Auth plugin options beyond `db`; `false` only for tests of the bare routes (every route is then open). */
  auth?: Omit<AuthPluginOptions, 'db'> | false;
  /** Extra feature plugins (vending, analytics, …), registered after the core ones. */
  plugins?: GatewayFeature[];
  logger?: FastifyServerOptions['logger'];
  /** Version shown in the OpenAPI document. */
  version?: string;
}

/**
 * The gateway's HTTP app: OpenAPI (/docs), auth (deny by default), health, meters, live stream and
 * the feature plugins passed in. Returns the app ready to `listen` (or `inject` in tests).
 */
export async function buildGatewayApp(options: BuildGatewayAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'metergate gateway', version: options.version ?? '0.0.0' },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
  });
  if (options.auth !== false) await app.register(authPlugin, { db: options.db, ...(options.auth ?? {}) });
  // The docs are public: mark the swagger-ui routes so the deny-by-default auth hook lets them through.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), public: true };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });

  await app.register(healthPlugin, { report: options.health });
  await app.register(metersPlugin, {
    readings: options.readings,
    lastReadings: options.lastReadings,
    rollups: options.rollups,
    deadLetters: options.deadLetters,
  });
  await app.register(livePlugin, { hub: options.live });
  for (const f of options.plugins ?? []) await app.register(f.plugin, f.options ?? {});
  return app;
}
