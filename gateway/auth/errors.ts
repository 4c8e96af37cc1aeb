/**
 * The one error shape every gateway route answers with: `{ error: { code, message } }`, codes
 * `MG_ERR_<AREA>_<WHAT>` stable across releases. Messages are written for the caller and never
 * carry key material (callers pass only ids and amounts into them).
 */
export const AuthErrorCodes = {
  unauthenticated: 'MG_ERR_AUTH_UNAUTHENTICATED',
  invalidKey: 'MG_ERR_AUTH_INVALID_CREDENTIALS',
  forbidden: 'MG_ERR_AUTH_FORBIDDEN',
  rateLimited: 'MG_ERR_HTTP_RATE_LIMITED',
  validation: 'MG_ERR_HTTP_VALIDATION',
  badRequest: 'MG_ERR_HTTP_BAD_REQUEST',
  notFound: 'MG_ERR_HTTP_NOT_FOUND',
  internal: 'MG_ERR_INTERNAL',
  badRole: 'MG_ERR_AUTH_ROLE',
} as const;

export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}
