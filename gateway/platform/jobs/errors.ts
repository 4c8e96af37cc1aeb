import { GatewayError, defineErrors } from '../errors/index.js';

/** Codes of the jobs module: programming errors of the composition root, never client input. */
export const JOBS_ERRORS = defineErrors({
  MG_ERR_JOBS_UNKNOWN_QUEUE: {
    status: 500,
    fr: 'File de tâches inconnue.',
    ar: 'طابور مهام غير معروف.',
    en: 'No such job queue.',
  },
  MG_ERR_JOBS_REGISTER_AFTER_START: {
    status: 500,
    fr: 'Les traitements de tâches doivent être enregistrés avant le démarrage.',
    ar: 'يجب تسجيل معالجات المهام قبل التشغيل.',
    en: 'Job handlers must be registered before start().',
  },
});

export type JobsErrorCode = keyof typeof JOBS_ERRORS;

export class JobsError extends GatewayError {
  constructor(code: JobsErrorCode, detail?: string) {
    super(code, detail ? { details: { reason: detail } } : {});
    this.name = 'JobsError';
    if (detail) this.message = `${this.message} (${detail})`;
  }
}
