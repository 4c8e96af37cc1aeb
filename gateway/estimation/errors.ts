/** Stable error codes of estimation and regularisation. */
export const ESTIMATION_ERRORS = {
  MG_ERR_ESTIMATION_NO_HISTORY: { status: 422, message: 'not enough history to estimate this period' },
  MG_ERR_ESTIMATION_BAD_PERIOD: { status: 400, message: 'the billing period is invalid' },
  MG_ERR_ESTIMATION_NOT_NEEDED: { status: 409, message: 'the period has real readings: nothing to estimate' },
  MG_ERR_ESTIMATION_NO_START_INDEX: {
    status: 422,
    message: 'no real register value before the estimated periods',
  },
} as const;

export type EstimationErrorCode = keyof typeof ESTIMATION_ERRORS;

export class EstimationError extends Error {
  readonly code: EstimationErrorCode;
  readonly statusCode: number;
  constructor(code: EstimationErrorCode, detail?: string) {
    super(detail ? `${ESTIMATION_ERRORS[code].message}: ${detail}` : ESTIMATION_ERRORS[code].message);
    this.name = 'EstimationError';
    this.code = code;
    this.statusCode = ESTIMATION_ERRORS[code].status;
  }
}
