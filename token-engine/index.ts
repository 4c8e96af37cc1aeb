/**
 * metergate token engine: STS (IEC 62055-41) key derivation, encryption, token classes and a
 * meter-side decoder. Pure library: no I/O except `loadStaTables(path)`, no clock reads (time
 * is always an argument), bigint for 64/66-bit values at the edges.
 *
 * API notes (refinements of the sketch):
 * - `parsePan` returns `{ ok, pan, iin, iain, checkDigit, legacy } | { ok:false, reason, message }`.
 * - `encodeAmount(units)` / `decodeAmount(field)` are credit units (tenths on the wire);
 *   `encodeAmountRaw` / `decodeAmountRaw` apply the same formula to integers (watts).
 * - `generateCreditToken` / `generateManagementToken` take an optional `ken`: when given, a TID
 *   past the key's expiry number throws MG_ERR_TOKEN_KEY_EXPIRED.
 * - `generateKeyChangeTokens` needs `sgc` (the new key's SGC) for 16-byte (MISTY1) keys.
 * - `generateTestToken.control` accepts bigint, integer or hex string.
 * - `decodeToken` throws only on misuse of its options (bad key length, EA07 without tables).
 */
export type { BaseDate, CipherKey, Dkga, Ea, MeterKey, StaTables, TokenClass } from './types.js';
export { BASE_DATES } from './types.js';
export { TOKEN_ERRORS, TokenEngineError, type TokenErrorCode } from './errors.js';
export { luhnCheckDigit, parsePan, type ParsedPan } from './pan.js';
export { validateMeterKey, bytesToHex, hexToBytes } from './key-fields.js';
export { deriveDecoderKey, type DeriveOptions } from './derive.js';
export {
  decodeAmount,
  decodeAmountRaw,
  encodeAmount,
  encodeAmountRaw,
  unitsToTenths,
  MAX_AMOUNT_TENTHS,
  MAX_CREDIT_UNITS,
} from './amount.js';
export { tidFromTime, timeFromTid, rolloverTime, TID_MAX } from './tid.js';
export { crc16Modbus, tokenCrc } from './crc.js';
export { misty1ExpandKey, misty1Encrypt, misty1Decrypt } from './misty1.js';
export { loadStaTables, validateStaTables, generateTestStaTables, DEFAULT_TEST_SEED } from './sta-tables.js';
export { generateCreditToken, CREDIT_SUBCLASSES, type CreditTokenRequest } from './token-classes/credit.js';
export {
  generateManagementToken,
  MANAGEMENT_SUBCLASSES,
  CLEAR_ALL_REGISTERS,
  type ManagementTokenRequest,
} from './token-classes/management.js';
export { generateTestToken, type TestTokenRequest } from './token-classes/test-token.js';
export {
  generateKeyChangeTokens,
  type KeyChangeRequest,
  type KeyChangeSection,
} from './token-classes/key-change.js';
export { decodeToken, type DecodeOptions, type DecodeResult, type DecodedToken } from './decoder.js';
export {
  MeterDecoder,
  MIN_TID_MEMORY,
  REGISTERS,
  type MeterDecoderOptions,
  type MeterDecoderSnapshot,
  type MeterEntryKind,
  type MeterEntryResult,
  type MeterRegister,
  type MeterRejectReason,
} from './meter-decoder.js';
export { tokensForRequest, decoderKeyHexForRequest, type TokenRequest } from './request.js';
