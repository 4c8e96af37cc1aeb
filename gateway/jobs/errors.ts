/** Stable error codes of the jobs module. */
export const JOBS_ERRORS = {
  MG_ERR_JOBS_UNKNOWN_QUEUE: 'no such queue',
  MG_ERR_JOBS_NOT_STARTED: 'the job runner is not started',
  MG_ERR_JOBS_REGISTER_AFTER_START: 'handlers must be registered before start()',
  MG_ERR_JOBS_BAD_PAYLOAD: 'the job payload is invalid',
} as const;

export type JobsErrorCode = keyof typeof JOBS_ERRORS;

export class JobsError extends Error {
  readonly code: JobsErrorCode;
  constructor(code: JobsErrorCode, detail?: string) {
    super(detail ? `${JOBS_ERRORS[code]}: ${detail}` : JOBS_ERRORS[code]);
    this.name = 'JobsError';
    this.code = code;
  }
}
