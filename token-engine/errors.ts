/**
 * Stable error codes of the token engine (STYLE.md §2). Misuse of the API (bad key fields, a
 * missing STA table set, a TID past rollover, an amount out of range) throws a TokenEngineError;
 * untrusted token strings never throw, they decode to a tagged `{ ok: false, reason }`.
 * Messages name the offending field but never echo key material.
 */
export const TOKEN_ERRORS = {
  MG_ERR_TOKEN_PAN: 'the meter PAN is malformed or its check digit is wrong',
  MG_ERR_TOKEN_KEY_FIELD:
    'a meter key field (dkga, ea, vendingKey, sgc, ti, krn, kt, ken, baseDate) is invalid',
  MG_ERR_TOKEN_DECODER_KEY: 'the decoder key has the wrong length for the encryption algorithm',
  MG_ERR_TOKEN_STA_TABLES_REQUIRED:
    'EA07 (STA) needs the S1/S2/P tables: pass --sta-tables FILE or set METERGATE_STA_TABLES',
  MG_ERR_TOKEN_STA_TABLES_INVALID:
    'the STA table set is malformed (S1/S2 must be 4-bit bijections, P a 64-bit permutation)',
  MG_ERR_TOKEN_STA_TABLES_READ: 'the STA table file could not be read',
  MG_ERR_TOKEN_TID_ROLLOVER: 'the time is past the 24-bit TID range of the base date (TID rollover)',
  MG_ERR_TOKEN_TID_BEFORE_BASE: 'the time is before the base date',
  MG_ERR_TOKEN_TID_RANGE: 'the TID is not an integer in 0..16777215',
  MG_ERR_TOKEN_KEY_EXPIRED: 'the TID is past the key expiry number (KEN) of the decoder key',
  MG_ERR_TOKEN_AMOUNT_RANGE: 'the amount cannot be encoded (negative, not finite or above the maximum)',
  MG_ERR_TOKEN_FIELD_RANGE:
    'a token field (rnd, subclass, value, manufacturer code, control) is out of range',
  MG_ERR_TOKEN_CLASS: 'unsupported token class or subclass',
  MG_ERR_TOKEN_REQUEST: 'the token request is malformed',
  MG_ERR_TOKEN_OPENPAYGO_KEY: 'the OpenPAYGO device key must be 32 hex digits (16 bytes)',
  MG_ERR_TOKEN_OPENPAYGO_FIELD:
    'an OpenPAYGO token field (starting_code, count, token_type, value_raw, restricted_digit_set, extended_token) is invalid',
  MG_ERR_TOKEN_OPENPAYGO_VALUE: 'the OpenPAYGO token value is out of range for its token type',
  /** Reported by the CLI for an unexpected failure; the message never carries input. */
  MG_ERR_TOKEN_INTERNAL: 'unexpected internal error',
} as const;

export type TokenErrorCode = keyof typeof TOKEN_ERRORS;

export class TokenEngineError extends Error {
  readonly code: TokenErrorCode;

  constructor(code: TokenErrorCode, detail?: string) {
    super(detail ? `${TOKEN_ERRORS[code]}: ${detail}` : TOKEN_ERRORS[code]);
    this.name = 'TokenEngineError';
    this.code = code;
  }
}
