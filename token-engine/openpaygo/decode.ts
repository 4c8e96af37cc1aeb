import { parseTokenDigits } from '../token-digits.js';
import {
  COUNTER_SYNC_VALUE,
  EXTENDED_TOKEN_DIGITS,
  MAX_TOKEN_JUMP,
  MAX_TOKEN_JUMP_COUNTER_SYNC,
  MAX_UNUSED_OLDER_TOKENS,
  PAYG_DISABLE_VALUE,
  RESTRICTED_EXTENDED_DIGITS,
  RESTRICTED_STANDARD_DIGITS,
  STANDARD_TOKEN_DIGITS,
  type OpenPaygoTokenType,
} from './constants.js';
import {
  baseOf,
  decodeBase,
  fromRestrictedDigits,
  nextCode,
  shapeOf,
  withBase,
  type OpenPaygoKey,
} from './shared.js';

/**
 * Device side of OpenPAYGO Token (spec "Token validation"): find the count at which a typed
 * token sits in the device's hash chain, within the counter window, and say whether the device
 * may still apply it. Pure: the device's counter and used-count memory are arguments and the
 * updated ones are returned (device-decoder.ts keeps them).
 */
export type OpenPaygoDeviceState = {
  /** Highest count applied so far. */
  count: number;
  /** Counts already applied or burnt, within MAX_UNUSED_OLDER_TOKENS below the highest. */
  usedCounts: readonly number[];
};

export type OpenPaygoDecodeOptions = {
  key: OpenPaygoKey;
  startingCode: number;
  restrictedDigitSet?: boolean;
};

export type OpenPaygoDecoded =
  | {
      ok: true;
      type: OpenPaygoTokenType;
      /** ADD_TIME / SET_TIME: the raw activation value; commands carry 998 / 999. */
      value: number;
      extended: boolean;
      /** The token's count. */
      tokenCount: number;
      /** The device state after applying it. */
      state: OpenPaygoDeviceState;
    }
  | { ok: false; reason: 'Format' | 'Invalid' | 'AlreadyUsed'; message: string };

/** Which count parity and value mean which type (the encoder's rule read backwards). */
export function typeAt(count: number, value: number): OpenPaygoTokenType {
  if (count % 2 === 0) return 'ADD_TIME';
  if (value === COUNTER_SYNC_VALUE) return 'COUNTER_SYNC';
  if (value === PAYG_DISABLE_VALUE) return 'DISABLE_PAYG';
  return 'SET_TIME';
}

/** A value that acts as a command whatever the parity (a device disables PAYG on 998 too). */
const isCommandValue = (v: number): boolean => v === PAYG_DISABLE_VALUE || v === COUNTER_SYNC_VALUE;

export function decodeOpenPaygoToken(
  typed: unknown,
  state: OpenPaygoDeviceState,
  opts: OpenPaygoDecodeOptions,
): OpenPaygoDecoded {
  const restricted = opts.restrictedDigitSet === true;
  const lengths = restricted
    ? [RESTRICTED_STANDARD_DIGITS, RESTRICTED_EXTENDED_DIGITS]
    : [STANDARD_TOKEN_DIGITS, EXTENDED_TOKEN_DIGITS];
  const parsed = parseTokenDigits(typed, lengths);
  if (!parsed.ok) return parsed;
  const extended = parsed.digits.length === lengths[1];
  const shape = shapeOf(extended);
  const tokenValue = restricted ? fromRestrictedDigits(parsed.digits) : Number(parsed.digits);
  if (tokenValue === null)
    return { ok: false, reason: 'Format', message: 'a restricted digit set token has only digits 1 to 4' };
  const tokenBase = baseOf(tokenValue, shape);
  const value = decodeBase(baseOf(opts.startingCode, shape), tokenBase, shape);
  const sync = value === COUNTER_SYNC_VALUE;
  const lastTry = state.count + (sync ? MAX_TOKEN_JUMP_COUNTER_SYNC : MAX_TOKEN_JUMP);
  let code = withBase(opts.startingCode, tokenBase, shape);
  let matchedOlder = false;
  // Walk the chain from count 0: the device stores no intermediate codes (it would have to keep
  // one per base value), so this is what the specification's devices do too.
  for (let count = 0; count <= lastTry; count++) {
    if (withBase(code, tokenBase, shape) === tokenValue) {
      const type = typeAt(count, value);
      if (countIsValid(count, type, state)) {
        return {
          ok: true,
          type,
          value,
          extended,
          tokenCount: count,
          state: applyCount(state, count, type, value),
        };
      }
      matchedOlder = true;
    }
    code = nextCode(code, opts.key, shape);
  }
  if (matchedOlder)
    return { ok: false, reason: 'AlreadyUsed', message: 'this token was already used or is too old' };
  return { ok: false, reason: 'Invalid', message: 'not a token of this device (or mistyped)' };
}

/**
 * A count is valid when it is above the counter; an older ADD_TIME is still accepted within
 * MAX_UNUSED_OLDER_TOKENS if that count was never used (tokens entered out of order).
 * Deliberate difference from the reference device: it also accepts a COUNTER_SYNC up to
 * MAX_TOKEN_JUMP *below* the counter and sets the counter back to it, so replaying an old
 * COUNTER_SYNC re-opens every ADD_TIME used since (days added twice). Here a COUNTER_SYNC only
 * moves the counter forward (searched MAX_TOKEN_JUMP_COUNTER_SYNC ahead instead of
 * MAX_TOKEN_JUMP), which is all a server needs to bring a device back into its window.
 */
function countIsValid(count: number, type: OpenPaygoTokenType, s: OpenPaygoDeviceState): boolean {
  if (count > s.count) return true;
  return type === 'ADD_TIME' && count > s.count - MAX_UNUSED_OLDER_TOKENS && !s.usedCounts.includes(count);
}

/**
 * The state after a token: the counter moves up to the token's count if higher; a SET_TIME or
 * a command burns every count of the memory window (an older ADD_TIME must not undo a later
 * SET_TIME); an ADD_TIME burns only its own count.
 */
function applyCount(
  s: OpenPaygoDeviceState,
  count: number,
  type: OpenPaygoTokenType,
  value: number,
): OpenPaygoDeviceState {
  const highest = Math.max(s.count, count);
  const bottom = highest - MAX_UNUSED_OLDER_TOKENS;
  const burnAll = type !== 'ADD_TIME' || isCommandValue(value);
  const used: number[] = [];
  for (let c = Math.max(0, bottom); c <= highest; c++) {
    if (burnAll || c === count || s.usedCounts.includes(c)) used.push(c);
  }
  return { count: highest, usedCounts: used };
}
