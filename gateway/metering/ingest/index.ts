export { IngestPipeline, type IngestPipelineOptions, type IngestStats } from './ingest-pipeline.js';
export {
  DeadLetterStore,
  type DeadLetter,
  type StoredDeadLetter,
  type DeadLetterStoreOptions,
} from './dead-letters.js';
export { IngestMetrics } from './metrics.js';
export { INGEST_ERRORS, type IngestErrorCode } from './errors.js';
