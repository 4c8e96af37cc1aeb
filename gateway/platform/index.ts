// The platform domain's public entry: other domains and the composition root import only this file.
export * from './auth/index.js';
export * from './bus/index.js';
export * from './db/index.js';
export * from './health/index.js';
export * from './jobs/index.js';
export * from './keys/index.js';
export * from './metrics/index.js';
export * from './notify/index.js';
export {
  defineErrors,
  declaredErrorCodes,
  errorDefinition,
  renderErrorMessage,
  pickLanguage,
  GatewayError,
  LANGUAGES as ERROR_LANGUAGES,
  type ErrorAnswer,
  type ErrorDefinition,
  type ErrorParams,
  type Language as ErrorLanguage,
} from './errors/index.js';
export { ErrorAnswerSchema } from './errors/index.js';
