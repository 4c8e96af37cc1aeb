import Fastify, { type FastifyInstance } from 'fastify';
import { authPlugin, type AuthPluginOptions } from '../../../platform/index.js';
import type { SqlDatabase } from '../../../platform/index.js';
import { vendingPlugin } from '../routes.js';
import type { VendingService } from '../service.js';

/**
 * The smallest gateway app carrying vending: auth + vending plugins (what the lead's
 * buildGatewayApp({ plugins }) does with them). Used by HTTP tests, the crash fixture and the bench.
 */
export async function buildVendingApp(options: {
  db: SqlDatabase;
  service: VendingService;
  logStream?: NodeJS.WritableStream;
  rateLimit?: AuthPluginOptions['rateLimit'];
}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logStream ? { level: 'debug', stream: options.logStream } : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  await app.register(authPlugin, {
    db: options.db,
    rateLimit: options.rateLimit ?? { max: 1000, timeWindow: 60_000 },
  });
  await app.register(vendingPlugin, { service: options.service });
  await app.ready();
  return app;
}
