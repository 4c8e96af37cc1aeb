import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import {
  authPlugin,
  errorAnswersPlugin,
  frameworkErrorAnswer,
  type AuthPluginOptions,
} from './platform/auth/index.js';
import { ErrorAnswerSchema } from './platform/errors/index.js';
import { openapiRoles } from './openapi-roles.js';
import type { SqlDatabase } from './platform/db/index.js';
import { healthPlugin, type HealthReport } from './platform/health/index.js';
import type { DeadLetterStore } from './metering/ingest/index.js';
import { livePlugin, type LiveHub } from './metering/live/index.js';
import { metersPlugin } from './metering/meters/index.js';
import type { LastReadingStore, ReadingStore } from './metering/readings/index.js';
import type { RollupStore } from './metering/rollups/index.js';

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
  /**
   * Fastify's `trustProxy` (config `http.trustProxy`): behind a reverse proxy, `true`, the number of
   * hops, or the proxies' addresses/CIDRs, so `request.ip` (rate limits, the failed-login limiter)
   * is the client's. Default false: X-Forwarded-For is ignored.
   */
  trustProxy?: boolean | number | string | string[];
  /** Origins besides this one that pages may load images from (a map tile server). */
  imageOrigins?: string[];
}

/**
 * Security headers (@fastify/helmet). The dashboards load only same-origin modules and
 * stylesheets (no inline script or style element: dashboards/web/index.html), and set styles
 * through the CSSOM, which `style-src 'self'` allows; the live stream and the API are same-origin.
 */
const CONTENT_SECURITY_POLICY = {
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

/** The policy, with the other origins images may come from (a map tile server) added to img-src. */
export function contentSecurityPolicy(imageOrigins: readonly string[] = []): typeof CONTENT_SECURITY_POLICY {
  const d = CONTENT_SECURITY_POLICY.directives;
  return { directives: { ...d, imgSrc: [...d.imgSrc, ...imageOrigins] } };
}

/**
 * The gateway's HTTP app: OpenAPI (/docs), auth (deny by default), health, meters, live stream and
 * the feature plugins passed in. Returns the app ready to `listen` (or `inject` in tests).
 */
export async function buildGatewayApp(options: BuildGatewayAppOptions): Promise<FastifyInstance> {
  const serverOptions: FastifyServerOptions = {
    logger: options.logger ?? false,
    // Fastify accepts a hop count at run time (proxy-addr); its type omits it.
    trustProxy: (options.trustProxy ?? false) as FastifyServerOptions['trustProxy'],
    frameworkErrors: frameworkErrorAnswer,
  };
  const app = Fastify({
    ...serverOptions,
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
    // Each operation says who may call it, from the route's own `config.roles` (declared once).
    transform: ({ schema, url, route }) => ({
      schema: {
        ...schema,
        'x-roles': openapiRoles(route.config),
        response: { '4xx': ErrorAnswerSchema, '5xx': ErrorAnswerSchema, ...(schema?.response ?? {}) },
      } as typeof schema,
      url,
    }),
  });
  await app.register(helmet, {
    contentSecurityPolicy: contentSecurityPolicy(options.imageOrigins),
    global: true,
  });
  // One error shape for the whole app: the auth plugin installs it, and so does an app without auth.
  if (options.auth !== false) await app.register(authPlugin, { db: options.db, ...(options.auth ?? {}) });
  else await app.register(errorAnswersPlugin);
  // The docs are public: mark the swagger-ui routes so the deny-by-default auth hook lets them through.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      // swagger-ui sets its own CSP for its page (staticCSP), which needs its inline bootstrap.
      route.config = { ...(route.config ?? {}), public: true };
      route.helmet = { contentSecurityPolicy: false };
    });
    await docs.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
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
