import { GatewayError, defineErrors } from '../../platform/index.js';

/** Codes of the reading stores. */
export const READINGS_ERRORS = defineErrors({
  MG_ERR_STORE_UNAVAILABLE: {
    status: 503,
    fr: 'Le stockage des relevés est injoignable.',
    ar: 'تعذّر الوصول إلى مخزن القراءات.',
    en: 'The reading store is unreachable.',
  },
  MG_ERR_STORE_FAILED: {
    status: 500,
    fr: 'Le stockage des relevés a refusé l’opération.',
    ar: 'رفض مخزن القراءات العملية.',
    en: 'The reading store refused the operation.',
  },
});
export type StoreErrorCode = keyof typeof READINGS_ERRORS;

/** A store error; `detail` (store URL, status, its error text) goes to logs, not to HTTP callers. */
export class StoreError extends GatewayError {
  constructor(code: StoreErrorCode, detail: string) {
    super(code);
    this.name = 'StoreError';
    this.message = `${this.message} (${detail})`;
  }
}
