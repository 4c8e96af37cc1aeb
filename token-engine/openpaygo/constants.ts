/**
 * OpenPAYGO Token constants (EnAccess OpenPAYGO Token specification, v2: "Token structure",
 * "Token types", "Extended tokens", "Restricted digit set" and the device-side "Token validation"
 * rules). Named as the specification names them. Our own implementation: there is no maintained
 * OpenPAYGO library for Node; only SipHash-2-4 comes from a package (`siphash`).
 */

/** Token types, with the numbers the reference implementation uses. */
export const OPENPAYGO_TOKEN_TYPES = {
  ADD_TIME: 1,
  SET_TIME: 2,
  DISABLE_PAYG: 3,
  COUNTER_SYNC: 4,
} as const;
export type OpenPaygoTokenType = keyof typeof OPENPAYGO_TOKEN_TYPES;
export const OPENPAYGO_TOKEN_TYPE_NAMES = Object.keys(OPENPAYGO_TOKEN_TYPES) as OpenPaygoTokenType[];

/** Standard token: 9 decimal digits; the last 3 carry the value, shifted by the starting code's. */
export const TOKEN_VALUE_OFFSET = 1000;
export const MAX_BASE = 999;
/** Highest ADD_TIME / SET_TIME value of a standard token; 996 and 997 are unassigned. */
export const MAX_ACTIVATION_VALUE = 995;
export const PAYG_DISABLE_VALUE = 998;
export const COUNTER_SYNC_VALUE = 999;
export const STANDARD_TOKEN_DIGITS = 9;

/** Extended token: 12 digits; the last 6 carry the value. */
export const TOKEN_VALUE_OFFSET_EXTENDED = 1_000_000;
export const MAX_BASE_EXTENDED = 999_999;
export const MAX_ACTIVATION_VALUE_EXTENDED = 999_999;
export const EXTENDED_TOKEN_DIGITS = 12;

/**
 * Restricted digit set (keypads with keys 1-4 only): every 2 bits of the token's binary value
 * become one digit 1..4. 30 bits → 15 digits (standard), 40 bits → 20 digits (extended).
 */
export const STANDARD_TOKEN_BITS = 30;
export const EXTENDED_TOKEN_BITS = 40;
export const RESTRICTED_STANDARD_DIGITS = STANDARD_TOKEN_BITS / 2;
export const RESTRICTED_EXTENDED_DIGITS = EXTENDED_TOKEN_BITS / 2;

/** Hash → token reduction: 30 (standard) or 40 (extended) bits folded into 9 or 12 digits. */
/** A 30-bit value above 10^9 − 1 is reduced by 2^30 − 10^9 + 1. */
export const STANDARD_FOLD = 73_741_825;
/** A 40-bit value above 10^12 − 1 is reduced by 2^40 − 10^12 + 1. */
export const EXTENDED_FOLD = 99_511_627_777;

/** Device side: how far ahead of its counter a device searches for a token's count. */
export const MAX_TOKEN_JUMP = 64;
/** …and for a COUNTER_SYNC token, which may also move the counter back by up to MAX_TOKEN_JUMP. */
export const MAX_TOKEN_JUMP_COUNTER_SYNC = 100;
/** Unused ADD_TIME tokens older than the counter stay acceptable within this many counts. */
export const MAX_UNUSED_OLDER_TOKENS = 16;
