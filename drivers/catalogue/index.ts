/** The register-map catalogue: models as data, their codec and the read planner (driver and simulator share it). */
export { CATALOGUE, MODEL_NAMES, getModel } from './catalogue.js';
export { decodePoint, encodePoint } from './codec.js';
export {
  planReads,
  extractValues,
  addressBlocks,
  MAX_READ_REGISTERS,
  DEFAULT_MAX_GAP,
  BLOCK_GAP,
  type PlanOptions,
} from './planner.js';
export { defineModel, checkConflicts, MAX_ADDRESS, type ModelDefinition } from './define-model.js';
export * as points from './points.js';
export type { PointSpec, PointArgs, PhaseArgs } from './points.js';
export { registerCount, REGISTER_COUNT, REGISTER_TYPES } from './register-types.js';
export { CatalogueError, CatalogueErrorCodes, type CatalogueErrorCode } from './errors.js';
export type {
  RegisterPoint,
  MeterModel,
  ModelDefaults,
  ReadFunction,
  RegisterType,
  WordOrder,
  PlannedRead,
  RegisterPlan,
  AddressBlock,
} from './types.js';
