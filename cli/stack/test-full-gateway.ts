import type { FastifyInstance } from 'fastify';
import type { Gateway } from '../../gateway/index.js';
import { createApiKey } from '../../gateway/platform/index.js';
import { startTestBroker } from '../../gateway/platform/bus/test-broker.js';
import { AesGcmSecurityModule } from '../../gateway/prepaid/vending/index.js';
import { resolveConfig } from '../config/index.js';
import { createLogger } from '../logger.js';
import { gatewayFromConfig } from './gateway-from-config.js';

/**
 * Test support: the whole gateway as `metergate gateway` wires it (gatewayFromConfig: core, every
 * business domain, the dashboards), on an in-memory PGlite and an embedded broker, with an admin key.
 */
export async function startFullGateway(): Promise<{
  gateway: Gateway;
  app: FastifyInstance;
  adminKey: string;
  stop: () => Promise<void>;
}> {
  const broker = await startTestBroker();
  const config = resolveConfig({ mqtt: { url: broker.url }, http: { port: 0 } }, 'test', {});
  const gateway = gatewayFromConfig(config, {
    logger: createLogger('silent'),
    securityModule: AesGcmSecurityModule.fromEnv({ METERGATE_MASTER_KEY: 'b'.repeat(64) }),
    env: {},
  });
  await gateway.start();
  const adminKey = (await createApiKey(gateway.db!, { role: 'admin', label: 'test' })).key;
  return {
    gateway,
    app: gateway.app!,
    adminKey,
    async stop() {
      await gateway.stop();
      await broker.stop();
    },
  };
}
