import type { TopicScheme } from '../../../protocol/index.js';
import type { SqlDatabase } from '../../platform/index.js';
import { AesGcmSecurityModule, KeyVault, type SecurityModule } from '../../platform/index.js';
import { TokenDelivery, type EventSubscriber, type TokenPublisher } from './delivery.js';
import { vendingPlugin } from './routes.js';
import { VendingService } from './service.js';

export interface VendingFeatureOptions {
  db: SqlDatabase;
  /** The gateway's MessageBus: remote delivery to connected meters when given. */
  bus?: TokenPublisher & EventSubscriber;
  topics?: TopicScheme;
  /** Where the master key comes from (METERGATE_MASTER_KEY / _FILE / _ID / _KEYS_OLD); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** An HSM-backed module instead of the env master key. */
  securityModule?: SecurityModule;
  log?: { warn(obj: object, msg: string): void };
}

/**
 * Wire vending into a running gateway: `Gateway({ plugins: async (gw) => [(await
 * createVendingFeature({ db: gw.db!, bus: gw.bus })).feature] })`. Runs the ledger migrations.
 */
export async function createVendingFeature(options: VendingFeatureOptions): Promise<{
  service: VendingService;
  feature: { plugin: typeof vendingPlugin; options: { service: VendingService } };
}> {
  const module = options.securityModule ?? AesGcmSecurityModule.fromEnv(options.env ?? process.env);
  const delivery = options.bus
    ? new TokenDelivery({
        publisher: options.bus,
        subscriber: options.bus,
        topics: options.topics,
        log: options.log,
      })
    : undefined;
  const service = await new VendingService({ db: options.db, vault: new KeyVault(module), delivery }).start();
  return { service, feature: { plugin: vendingPlugin, options: { service } } };
}
