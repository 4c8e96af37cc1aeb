/** Stable error codes of the analytics module (never reuse a retired code). */
export const ANALYTICS_ERRORS = {
  MG_ERR_ANALYTICS_NOT_FOUND: { status: 404, message: 'no such anomaly' },
  MG_ERR_ANALYTICS_BAD_TRANSITION: { status: 409, message: 'this status change is not allowed' },
  MG_ERR_ANALYTICS_BAD_RANGE: { status: 400, message: 'the day range is invalid' },
  MG_ERR_ANALYTICS_FORBIDDEN: { status: 403, message: 'this meter is not yours' },
  MG_ERR_ANALYTICS_NO_DATA: { status: 404, message: 'no consumption recorded for this meter' },
} as const;

export type AnalyticsErrorCode = keyof typeof ANALYTICS_ERRORS;

export class AnalyticsError extends Error {
  readonly code: AnalyticsErrorCode;
  readonly statusCode: number;
  constructor(code: AnalyticsErrorCode, detail?: string) {
    super(detail ? `${ANALYTICS_ERRORS[code].message}: ${detail}` : ANALYTICS_ERRORS[code].message);
    this.name = 'AnalyticsError';
    this.code = code;
    this.statusCode = ANALYTICS_ERRORS[code].status;
  }
}
