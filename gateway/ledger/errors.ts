/** Ledger / vending error codes (HTTP status chosen where they are thrown, as ApiError). */
export const LedgerErrorCodes = {
  invalidInput: 'MG_ERR_LEDGER_INVALID_INPUT',
  exists: 'MG_ERR_LEDGER_EXISTS',
  unknownMeter: 'MG_ERR_VEND_UNKNOWN_METER',
  unknownCustomer: 'MG_ERR_LEDGER_UNKNOWN_CUSTOMER',
  keyExpired: 'MG_ERR_VEND_KEY_EXPIRED',
  tidRollover: 'MG_ERR_VEND_TID_ROLLOVER',
  amountRange: 'MG_ERR_VEND_AMOUNT_RANGE',
  idempotencyConflict: 'MG_ERR_VEND_REQUEST_ID_REUSED',
  notEligible: 'MG_ERR_ADVANCE_NOT_ELIGIBLE',
  advanceLimit: 'MG_ERR_ADVANCE_LIMIT',
  forbidden: 'MG_ERR_VEND_FORBIDDEN',
  keyMaterial: 'MG_ERR_VEND_KEY_UNAVAILABLE',
  unknownVend: 'MG_ERR_VEND_UNKNOWN',
  keyChange: 'MG_ERR_MANAGEMENT_KEY_CHANGE',
} as const;
