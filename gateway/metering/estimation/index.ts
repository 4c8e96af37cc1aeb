export { ESTIMATION_MIGRATIONS } from './migrations.js';
export { EstimationError, ESTIMATION_ERRORS, type EstimationErrorCode } from './errors.js';
export {
  estimatePeriod,
  periodTotal,
  shiftYears,
  type Estimate,
  type EstimateOptions,
  type PeriodTotal,
} from './estimator.js';
export {
  EstimationService,
  type EstimationServiceOptions,
  type EstimateRecord,
  type RegularisationRecord,
  type DailyWriter,
} from './estimation-service.js';
export {
  estimationPlugin,
  RegularisationBody,
  serialiseEstimate,
  serialiseRegularisation,
  type EstimationPluginOptions,
} from './routes.js';
