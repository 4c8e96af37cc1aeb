/** Stable error codes of the reading stores (STYLE.md: MG_ERR_<AREA>_<WHAT>, never reused). */
export const IngestErrorCodes = {
  storeUnavailable: 'MG_ERR_STORE_UNAVAILABLE',
  storeFailed: 'MG_ERR_STORE_FAILED',
} as const;
export type StoreErrorCode = (typeof IngestErrorCodes)[keyof typeof IngestErrorCodes];

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}
