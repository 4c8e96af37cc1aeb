export {
  defineErrors,
  declaredErrorCodes,
  errorDefinition,
  renderErrorMessage,
  pickLanguage,
  GatewayError,
  LANGUAGES,
  type ErrorAnswer,
  type ErrorDefinition,
  type ErrorParams,
  type Language,
} from './registry.js';
export { ErrorAnswerSchema } from './schema.js';
