// The gateway's public API (INGEST owns this file; vending/analytics export from their folders and
// the lead adds their lines here).
export { Gateway, type GatewayOptions, type StoreKind } from './gateway.js';
export { buildGatewayApp, type BuildGatewayAppOptions, type GatewayFeature } from './server.js';
export { MqttBus, topicMatches, type MessageBus, type BusMessage, type MqttBusOptions } from './bus/index.js';
export {
  SqlRollupStore,
  RollupEngine,
  ROLLUP_MIGRATIONS,
  type RollupStore,
  type DailyRow,
  type DailyPoint,
  type MonthlyPoint,
} from './rollups/index.js';
export {
  SqlReadingStore,
  InfluxReadingStore,
  LastReadingStore,
  READINGS_MIGRATIONS,
  type ReadingStore,
  type StoredReading,
} from './readings/index.js';
export { IngestPipeline, IngestMetrics, DeadLetterStore, type IngestStats } from './ingest/index.js';
export { LiveHub, type LiveMessage } from './live/index.js';
export { openDatabase, runMigrations, type SqlDatabase, type Migration } from './db/index.js';
