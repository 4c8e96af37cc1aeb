export { authPlugin, requireRole, type AuthPluginOptions } from './plugin.js';
export { AUTH_ERRORS, type AuthErrorCode } from './errors.js';
export {
  errorAnswersPlugin,
  frameworkErrorAnswer,
  requestLanguage,
  sendErrorAnswer,
} from './error-handler.js';
export { invalidRequest, type InvalidField } from './invalid-request.js';
export { strictBodyPlugin } from './strict-body.js';
export { FailedAuthLimiter, limiterBucket, type FailedAuthLimit } from './failed-auth-limiter.js';
export { ROLES, isRole, type Role, type Principal } from './principal.js';
export {
  createApiKey,
  verifyApiKey,
  revokeApiKey,
  listApiKeys,
  isReaderId,
  type CreateApiKeyOptions,
  type ApiKeyInfo,
} from './api-keys.js';
export { AUTH_MIGRATIONS } from './migrations.js';
