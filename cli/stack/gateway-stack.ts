import { Registry } from 'prom-client';
import { dashboardsPlugin } from '../../dashboards/index.js';
import { Gateway, type GatewayOptions, type StoreKind } from '../../gateway/index.js';
import { dashboardApiPlugin } from '../../gateway/dashboard-api/index.js';
import { exportsPlugin } from '../../gateway/exports/index.js';
import { createJobRunner, type JobRunner } from '../../gateway/jobs/index.js';
import { metricsPlugin } from '../../gateway/metrics/index.js';
import {
  KeyVault,
  TokenDelivery,
  VendingService,
  vendingPlugin,
  type SecurityModule,
} from '../../gateway/vending/index.js';
import { TopicScheme } from '../../protocol/index.js';
import type { MetergateConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { startAnalyticsFeature, type AnalyticsFeature } from './analytics-feature.js';
import { VERSION } from '../version.js';

export interface GatewayStackOptions {
  config: MetergateConfig;
  /** Reading store; default by configuration (influx.url → influx, database.url → postgres, else pglite). */
  store?: StoreKind;
  /** The key vault's security module; without one the gateway runs without vending (ingest and analytics only). */
  securityModule?: SecurityModule;
  logger: Logger;
  /** Extra registries for /metrics (the embedded broker's, an edge's). */
  metricsRegistries?: () => Registry[];
  /** Serve the dashboards (default true). */
  dashboards?: boolean;
  /** Fixed MQTT client id of the gateway (default: per host). */
  mqttClientId?: string;
  /** Allow unauthenticated /metrics scrapes. */
  publicMetrics?: boolean;
  /** Environment for channel secrets (SMS_GATEWAY_TOKEN); default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The composition root of the gateway role: the core (ingest, stores, rollups, query API, live
 * stream) plus vending with remote token delivery, jobs, exports, the dashboards and /metrics. Both
 * `metergate gateway` and `metergate demo` start exactly this.
 */
export class GatewayStack {
  readonly options: GatewayStackOptions;
  readonly registry = new Registry();
  gateway: Gateway | undefined;
  vending: VendingService | undefined;
  jobs: JobRunner | undefined;
  analytics: AnalyticsFeature | undefined;

  constructor(options: GatewayStackOptions) {
    this.options = options;
  }

  get url(): string | undefined {
    return this.gateway?.url;
  }

  defaultStore(): StoreKind {
    const c = this.options.config;
    return this.options.store ?? (c.influx.url ? 'influx' : c.database.url ? 'postgres' : 'pglite');
  }

  async start(): Promise<this> {
    const { config, logger } = this.options;
    const topics = new TopicScheme(config.mqtt.prefix);
    this.jobs = createJobRunner({ redisUrl: config.redis.url });
    const gatewayOptions: GatewayOptions = {
      databaseUrl: config.database.url,
      dataDir: config.dataDir,
      store: this.defaultStore(),
      influx: config.influx.url
        ? {
            url: config.influx.url,
            database: config.influx.database,
            username: config.influx.username,
            password: config.influx.password,
          }
        : undefined,
      mqtt: {
        url: config.mqtt.url ?? 'mqtt://127.0.0.1:1883',
        prefix: config.mqtt.prefix,
        username: config.mqtt.username,
        password: config.mqtt.password,
        clientId: this.options.mqttClientId,
      },
      http: { host: config.http.host, port: config.http.port },
      metricsRegistry: this.registry,
      log: (level, message) => logger[level](message),
      version: VERSION,
      features: async (gateway) => {
        const db = gateway.db!;
        const bus = gateway.bus!;
        const features: NonNullable<GatewayOptions['plugins']> = [];
        if (this.options.securityModule) {
          const delivery = new TokenDelivery({
            publisher: bus,
            subscriber: bus,
            topics,
            log: { warn: (obj, msg) => logger.warn(obj, msg) },
          });
          this.vending = await new VendingService({
            db,
            vault: new KeyVault(this.options.securityModule),
            delivery,
          }).start();
          features.push({ plugin: vendingPlugin, options: { service: this.vending } });
        } else {
          logger.warn(
            'vending disabled: no METERGATE_MASTER_KEY or METERGATE_MASTER_KEY_FILE for the key vault',
          );
        }
        features.push(
          { plugin: exportsPlugin, options: { rollups: gateway.rollups! } },
          { plugin: dashboardApiPlugin, options: { ledger: db } },
          {
            plugin: metricsPlugin,
            options: {
              public: this.options.publicMetrics ?? false,
              registries: () => [this.registry, ...(this.options.metricsRegistries?.() ?? [])],
            },
          },
        );
        this.analytics = await startAnalyticsFeature({
          db,
          rollups: gateway.rollups!,
          runner: this.jobs!,
          config,
          env: this.options.env ?? process.env,
          bus,
        });
        features.push(...this.analytics.features);
        if (this.options.dashboards !== false) features.push({ plugin: dashboardsPlugin, options: {} });
        return features;
      },
    };
    this.gateway = new Gateway(gatewayOptions);
    await this.gateway.start();
    await this.jobs.start();
    await this.analytics?.schedule();
    return this;
  }

  async stop(): Promise<void> {
    await this.jobs?.stop();
    await this.gateway?.stop();
    await this.vending?.stop();
  }
}
