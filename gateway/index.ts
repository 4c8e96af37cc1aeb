// The gateway's public API: the composition root and what the CLI, benchmarks and tests build on.
export {
  Gateway,
  defaultClientId,
  defaultStoreKind,
  type CoreServices,
  type GatewayOptions,
  type StoreKind,
} from './gateway.js';
export { Lifecycle } from './lifecycle.js';
export type { DomainOptions, NotifySettings } from './compose-domains.js';
export { buildGatewayApp, type BuildGatewayAppOptions, type GatewayFeature } from './server.js';
export {
  MqttBus,
  topicMatches,
  type MessageBus,
  type BusMessage,
  type MqttBusOptions,
} from './platform/bus/index.js';
export {
  SqlRollupStore,
  RollupEngine,
  ROLLUP_MIGRATIONS,
  type RollupStore,
  type DailyRow,
  type DailyPoint,
  type MonthlyPoint,
} from './metering/rollups/index.js';
export {
  SqlReadingStore,
  InfluxReadingStore,
  LastReadingStore,
  READINGS_MIGRATIONS,
  type ReadingStore,
  type StoredReading,
} from './metering/readings/index.js';
export { IngestPipeline, IngestMetrics, DeadLetterStore, type IngestStats } from './metering/ingest/index.js';
export { LiveHub, type LiveMessage } from './metering/live/index.js';
export {
  openDatabase,
  runMigrations,
  type SqlDatabase,
  type Migration,
  type PgliteTuning,
} from './platform/db/index.js';
