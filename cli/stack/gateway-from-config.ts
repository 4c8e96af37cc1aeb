import type { Registry } from 'prom-client';
import { dashboardsPlugin } from '../../dashboards/index.js';
import { Gateway, type PgliteTuning, type StoreKind } from '../../gateway/index.js';
import type { SecurityModule } from '../../gateway/prepaid/vending/index.js';
import type { MetergateConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { VERSION } from '../version.js';

export interface GatewayFromConfigOptions {
  /** Reading store; default by configuration (`defaultStoreKind` in gateway/gateway.ts). */
  store?: StoreKind;
  /** The key vault's security module; without one the gateway runs without vending (ingest and analytics only). */
  securityModule?: SecurityModule;
  logger: Logger;
  /** The registry of the gateway's metrics (one per process: the demo shares it with nothing else). */
  registry?: Registry;
  /** Extra registries for /metrics (the embedded broker's, an edge's). */
  metricsRegistries?: () => Registry[];
  /** Serve the dashboards (default true). */
  dashboards?: boolean;
  /** MQTT client id (default `<username>:gateway-<host>`, see `defaultClientId`). */
  mqttClientId?: string;
  /** Allow unauthenticated /metrics scrapes. */
  publicMetrics?: boolean;
  /** Environment for channel secrets (SMS_GATEWAY_TOKEN); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Sizing of the embedded database (the demo keeps it small); default PGlite's. */
  pglite?: PgliteTuning;
}

/**
 * The whole gateway role from the validated configuration: the core (ingest, stores, rollups, query
 * API, live stream) plus the business domains (vending with remote token delivery, jobs, analytics,
 * notifications, exports, /metrics) and the dashboards. `metergate gateway`, `metergate demo` and the
 * end-to-end tests build their gateway here; `Gateway` (gateway/gateway.ts) is the composition root
 * and holds the lifecycle list.
 */
export function gatewayFromConfig(config: MetergateConfig, options: GatewayFromConfigOptions): Gateway {
  const { logger } = options;
  return new Gateway({
    databaseUrl: config.database.url,
    dataDir: config.dataDir,
    pglite: options.pglite,
    store: options.store,
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
      clientId: options.mqttClientId,
    },
    http: {
      host: config.http.host,
      port: config.http.port,
      // The tile server's images are the only ones the dashboards take from another origin.
      ...(config.map.tileUrl
        ? { imageOrigins: [new URL(config.map.tileUrl.replace(/\{\w\}/g, '0')).origin] }
        : {}),
    },
    metricsRegistry: options.registry,
    log: (level, message) => logger[level](message),
    version: VERSION,
    domains: {
      redisUrl: config.redis.url,
      notify: config.notify,
      prepaid: config.prepaid,
      map: config.map,
      securityModule: options.securityModule,
      env: options.env ?? process.env,
      metricsRegistries: options.metricsRegistries,
      publicMetrics: options.publicMetrics,
      publicUrl: config.http.publicUrl ?? `http://${config.http.host}:${config.http.port}`,
    },
    plugins: options.dashboards === false ? [] : [{ plugin: dashboardsPlugin, options: {} }],
  });
}
