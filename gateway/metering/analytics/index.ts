export { ANALYTICS_MIGRATIONS } from './migrations.js';
export { AnalyticsError, ANALYTICS_ERRORS, type AnalyticsErrorCode } from './errors.js';
export * from './types.js';
export { DEFAULT_THRESHOLDS, thresholdsFor, type Thresholds, type ThresholdConfig } from './thresholds.js';
export { dayNumber, dayString, isDayString, WEEKDAY_ALIGNED_YEAR } from './days.js';
export { compareWindow, windowTotal, isAbnormallyHigh } from './compare-windows.js';
export { detectMeter } from './detector.js';
export { detectNightBaseLoad, type HourlyPoint, type NightBaseLoadOptions } from './detect-night.js';
export {
  SqlAnomalyStore,
  type Anomaly,
  type AnomalyStore,
  type AnomalyQuery,
  type RecordResult,
} from './anomaly-store.js';
export { describeAnomalyStore } from './anomaly-store-conformance.js';
export { SqlDailyBatchSource, type DailyBatchSource, type BatchQuery } from './daily-batches.js';
export {
  AnomalyScanner,
  DEFAULT_HOURLY_OBIS,
  type AnomalyScannerOptions,
  type ScanReport,
  type MeterContext,
  type MeterContextSource,
  type HourlySource,
} from './scanner.js';
export { StaticMeterContext } from './meter-context.js';
export {
  generateMeter,
  generateFleet,
  type GeneratedMeter,
  type LoadModelOptions,
} from './dataset/load-model.js';
export { DetectionScore } from './dataset/evaluate.js';
export { loadFleetIntoSql, type LoadFleetOptions, type LoadedFleet } from './dataset/load-into-sql.js';
export { ConsumptionComparison, type ComparisonResult } from './comparison.js';
export { analyticsPlugin, type AnalyticsPluginOptions } from './routes.js';
export { loadMeterSeries } from './daily-batches.js';
export {
  registerAnalyticsJobs,
  notifyOnOpened,
  anomalyNotification,
  regularisationNotification,
  type AnalyticsJobsOptions,
  type CustomerOf,
} from './jobs-wiring.js';
export { ReadingsHourlySource, type HourlyReadingsSource } from './hourly-from-readings.js';
