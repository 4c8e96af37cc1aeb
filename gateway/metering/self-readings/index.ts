export { SELF_READING_MIGRATIONS } from './migrations.js';
export { REFUSAL_CODES, refusal, type Refusal, type RefusalCode } from './refusals.js';
export { checkSelfReading, type PlausibilityInput, type KnownValue } from './plausibility.js';
export {
  SelfReadingService,
  defaultMaxDaily,
  type SelfReading,
  type SubmitSelfReading,
  type SubmitResult,
  type SelfReadingServiceOptions,
} from './self-reading-service.js';
export { selfReadingsPlugin, type SelfReadingsPluginOptions } from './routes.js';
