/**
 * metergate token engine: STS (IEC 62055-41) key derivation, encryption, token classes and a
 * meter-side decoder. Pure library: no I/O except `loadStaTables(path)`, no clock reads (time
 * is always an argument), bigint for 64/66-bit values at the edges, 32-bit numbers inside the
 * ciphers. Misuse throws `TokenEngineError` (stable `code`, see errors.ts); untrusted token
 * strings never throw, they decode to `{ ok: false, reason }`.
 *
 * Main API (refinements of the sketch are marked ★):
 *   parsePan(pan) → { ok, pan, iin, iain, checkDigit, legacy } | { ok:false, reason:'Format'|'IIN'|'CheckDigit', message }
 *   luhnCheckDigit(digits) → number
 *   deriveDecoderKey(key: MeterKey, opts?) → Uint8Array (8 bytes EA07, 16 bytes EA11)
 *   tidFromTime(date, baseDate) / timeFromTid(tid, baseDate) / rolloverTime(baseDate)
 *   ★ nextTid(now, baseDate, lastTid?) → max(tid of now, lastTid + 1)
 *   encodeAmount(units) / decodeAmount(field) → credit units; ★ encodeAmountRaw / decodeAmountRaw on integers (watts)
 *   generateCreditToken({ decoderKey, ea, staTables?, subclass: 0|1|2, units, tid, rnd, ★ken? }) → 20 digits
 *   generateManagementToken({ decoderKey, ea, staTables?, subclass: 0|1|2|5|6|7, value, tid, rnd, ★ken? })
 *     (value = watts for subclasses 0 and 6, raw 0..65535 otherwise)
 *   generateTestToken({ subclass: 0|1, mfrCode, control: bigint|number|hex string })
 *   generateKeyChangeTokens({ currentDecoderKey, ea, staTables?, newDecoderKey, ken, krn, ti, kt, ro, ★sgc? }) → 2 or 4 tokens
 *     (★ sgc, the new key's 6-digit SGC, is required for a 16-byte key)
 *   decodeToken(token, { decoderKey, ea, staTables?, baseDate? }) → DecodedToken | { ok:false, reason:'Format', message }
 *     DecodedToken = { ok:true, cls, subclass, crcOk, block, rnd?, tid?, time?, field?, amount?, value?, test?, keyChange? }
 *   loadStaTables(path | json text | object), generateTestStaTables(seed = 'metergate-test-tables') → StaTables
 *   ★ tokensForRequest(request, { staTables? }) → string[]  (one line of `metergate token batch`)
 *   ★ decoderKeyHexForRequest(request) → hex (one line of `metergate token derive`)
 *   new MeterDecoder({ meterKey } | { decoderKey, ea, baseDate = 2014, ken = 255, ti = 0, krn = 1, kt = 2, sgc? }, + staTables?, tidMemory = 50,
 *                    lockoutAfter = 5, lockoutMinutes = 15, creditLimit = 1e7, rolloverAdvancesBaseDate = true)
 *     .enter(token, now) → { ok:true, kind, cls, subclass, tid?, units?, register?, value?, mfrCode?, control?,
 *                            missingSections?, rollover? } | { ok:false, reason: MeterRejectReason, message }
 *     ★ .credit (electricity kWh), .registers {electricity, water, gas}, .maxPower, .phaseUnbalance, .waterFactor,
 *       .tamper, .setTamper(), .consume(units, register = 'electricity'), .tidMemory, .keyInfo, .baseDate,
 *       .snapshot() / .restore(snapshot)  (the snapshot holds the decoder key: store it like key material)
 *   ★ parseTokenDigits(typed, length?) → { ok, digits } | { ok:false, reason:'Format', message }
 *     (ASCII, Eastern Arabic ٠-٩ and Persian ۰-۹ digits; spaces, dashes, direction marks ignored)
 *   ★ formatTokenDigits(token, { group = 4, separator = ' ' }) → '1234 5678 9012 3456 7890'
 *
 * OpenPAYGO Token (openpaygo/, EnAccess's open PAYG standard; SipHash-2-4 from `siphash`):
 *   encodeOpenPaygoToken({ key, startingCode?, count, type, value?, restrictedDigitSet?, extended? }) → { token, newCount }
 *   decodeOpenPaygoToken(typed, { count, usedCounts }, { key, startingCode, restrictedDigitSet? })
 *     → { ok:true, type, value, extended, tokenCount, state } | { ok:false, reason:'Format'|'Invalid'|'AlreadyUsed', message }
 *   new OpenPaygoDecoder({ key, startingCode?, restrictedDigitSet?, startingCount = 1 }).enter(typed), .count, .snapshot()
 *   openPaygoLine(object) → the object with token and new_count (one line of `metergate token openpaygo`)
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
export { tidFromTime, timeFromTid, rolloverTime, nextTid, TID_MAX } from './tid.js';
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
export {
  parseTokenDigits,
  formatTokenDigits,
  MAX_TYPED_TOKEN_LENGTH,
  type ParsedTokenDigits,
} from './token-digits.js';
export * from './openpaygo/index.js';
