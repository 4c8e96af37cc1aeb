export { authPlugin, requireRole, type AuthPluginOptions } from './plugin.js';
export { ApiError, AuthErrorCodes, errorBody, type ErrorBody } from './errors.js';
export { ROLES, isRole, type Role, type Principal } from './principal.js';
export {
  createApiKey,
  verifyApiKey,
  revokeApiKey,
  listApiKeys,
  type CreateApiKeyOptions,
  type ApiKeyInfo,
} from './api-keys.js';
export { AUTH_MIGRATIONS } from './migrations.js';
