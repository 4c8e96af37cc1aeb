/** The register-map catalogue: models as data files, their codec and the read planner (driver and simulator share it). */
export {
  CATALOGUE,
  MODEL_NAMES,
  BUILTIN_MODELS_DIR,
  getModel,
  findModel,
  modelNames,
  loadModelDir,
  type ModelDirResult,
} from './catalogue.js';
export { decodePoint, encodePoint, decodeText, encodeText } from './codec.js';
export {
  planReads,
  extractValues,
  addressBlocks,
  MAX_READ_REGISTERS,
  MAX_READ_BITS,
  DEFAULT_MAX_GAP,
  BLOCK_GAP,
  type PlanOptions,
} from './planner.js';
export {
  defineModel,
  checkConflicts,
  conflictsOf,
  byteOrderOf,
  MAX_ADDRESS,
  type ModelDefinition,
} from './define-model.js';
export { parseModel, loadModelFile, modelFilesIn, type ModelResult } from './model-file.js';
export { ModelFile, ModelField, modelJsonSchema } from './model-schema.js';
export * as points from './points.js';
export type { PointSpec, PointArgs, PhaseArgs } from './points.js';
export { registerCount, pointWidth, REGISTER_COUNT, REGISTER_TYPES } from './register-types.js';
export { CatalogueError, CatalogueErrorCodes, type CatalogueErrorCode } from './errors.js';
export {
  BYTE_ORDERS,
  type RegisterPoint,
  type MeterModel,
  type ModelDefaults,
  type ReadFunction,
  type RegisterType,
  type ByteOrder,
  type WordOrder,
  type PlannedRead,
  type RegisterPlan,
  type AddressBlock,
} from './types.js';
