/**
 * Stable error codes of the DLMS/COSEM client (drivers/dlms). Codes are never reused once retired.
 * Every rejection of bytes from a meter (bad frame, bad APDU, bad tag) is a DlmsError with one of
 * these codes, never a RangeError or a crash: the fuzz test holds the decoders to that.
 */
export const DlmsErrorCodes = {
  MG_ERR_DLMS_DECODE: 'malformed DLMS data or APDU',
  MG_ERR_DLMS_FRAME: 'malformed DLMS frame',
  MG_ERR_DLMS_CRC: 'HDLC check sequence mismatch',
  MG_ERR_DLMS_ENCODE: 'value cannot be encoded',
  MG_ERR_DLMS_USAGE: 'invalid DLMS request or option',
  MG_ERR_DLMS_ASSOCIATION: 'association rejected',
  MG_ERR_DLMS_AUTH: 'authentication failed',
  MG_ERR_DLMS_CIPHER: 'ciphered APDU could not be verified',
  MG_ERR_DLMS_ACCESS: 'data access refused by the meter',
  MG_ERR_DLMS_ACTION: 'action refused by the meter',
  MG_ERR_DLMS_EXCEPTION: 'meter answered with an exception',
  MG_ERR_DLMS_SERVICE_ERROR: 'meter answered with a confirmed service error',
  MG_ERR_DLMS_PROTOCOL: 'unexpected answer from the meter',
  MG_ERR_DLMS_TIMEOUT: 'no answer from the meter',
  MG_ERR_DLMS_CLOSED: 'connection to the meter closed',
} as const;

export type DlmsErrorCode = keyof typeof DlmsErrorCodes;

export class DlmsError extends Error {
  readonly code: DlmsErrorCode;
  /** Machine-readable detail: a Data-Access-Result, an exception's codes, an AARE diagnostic. */
  readonly detail: Readonly<Record<string, number | string>>;
  constructor(code: DlmsErrorCode, message: string, detail: Record<string, number | string> = {}) {
    super(`${DlmsErrorCodes[code]}: ${message}`);
    this.name = 'DlmsError';
    this.code = code;
    this.detail = detail;
  }
}

/** Data-Access-Result names (IEC 62056-5-3 §8.5, Data-Access-Result ENUMERATED). */
export const DATA_ACCESS_RESULT: Record<number, string> = {
  0: 'success',
  1: 'hardware-fault',
  2: 'temporary-failure',
  3: 'read-write-denied',
  4: 'object-undefined',
  9: 'object-class-inconsistent',
  11: 'object-unavailable',
  12: 'type-unmatched',
  13: 'scope-of-access-violated',
  14: 'data-block-unavailable',
  15: 'long-get-aborted',
  16: 'no-long-get-in-progress',
  17: 'long-set-aborted',
  18: 'no-long-set-in-progress',
  19: 'data-block-number-invalid',
  250: 'other-reason',
};

/** Action-Result names (IEC 62056-5-3 §8.5, Action-Result ENUMERATED). */
export const ACTION_RESULT: Record<number, string> = {
  ...DATA_ACCESS_RESULT,
  15: 'long-action-aborted',
  16: 'no-long-action-in-progress',
};

export function accessResultName(code: number): string {
  return DATA_ACCESS_RESULT[code] ?? `data-access-result-${code}`;
}
