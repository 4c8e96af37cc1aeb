export {
  RESOLUTIONS,
  RESOLUTION_MS,
  type Resolution,
  type ReadingStore,
  type StoredReading,
  type ReadingQuery,
  type ReadingRow,
} from './reading-store.js';
export { SqlReadingStore } from './sql-reading-store.js';
export { InfluxReadingStore, type InfluxReadingStoreOptions } from './influx-reading-store.js';
export { LastReadingStore, type LastReading, type MeterSummary } from './last-readings.js';
export { READINGS_MIGRATIONS } from './migrations.js';
export { StoreError, READINGS_ERRORS, type StoreErrorCode } from './errors.js';
