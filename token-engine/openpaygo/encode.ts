import { TokenEngineError } from '../errors.js';
import {
  COUNTER_SYNC_VALUE,
  MAX_ACTIVATION_VALUE,
  MAX_ACTIVATION_VALUE_EXTENDED,
  OPENPAYGO_TOKEN_TYPE_NAMES,
  PAYG_DISABLE_VALUE,
  type OpenPaygoTokenType,
} from './constants.js';
import {
  baseOf,
  encodeBase,
  nextCode,
  nextCount,
  openPaygoKeyFromHex,
  shapeOf,
  startingCodeFromKey,
  toRestrictedDigits,
  withBase,
  type OpenPaygoKey,
} from './shared.js';

/** Server side of OpenPAYGO Token (spec "Token generation"). */
export type OpenPaygoEncodeRequest = {
  /** 32 hex digits or an already parsed key. */
  key: string | OpenPaygoKey;
  /** The device's starting code (9 digits); derived from the key when absent. */
  startingCode?: number;
  /** The last count used for this device (the server keeps it). */
  count: number;
  type: OpenPaygoTokenType;
  /** ADD_TIME / SET_TIME: the raw value (days × the device's time divider). */
  value?: number | null;
  restrictedDigitSet?: boolean;
  extended?: boolean;
};

export type OpenPaygoEncoded = { token: string; newCount: number };

const MAX_COUNT = 2 ** 31;

export function encodeOpenPaygoToken(req: OpenPaygoEncodeRequest): OpenPaygoEncoded {
  const key = typeof req.key === 'string' ? openPaygoKeyFromHex(req.key) : req.key;
  const extended = req.extended === true;
  const shape = shapeOf(extended);
  const startingCode = req.startingCode ?? startingCodeFromKey(key);
  if (!Number.isSafeInteger(startingCode) || startingCode < 0 || startingCode > 999_999_999)
    throw field('starting_code must be an integer 0..999999999');
  if (!Number.isSafeInteger(req.count) || req.count < 0 || req.count > MAX_COUNT)
    throw field(`count must be an integer 0..${MAX_COUNT}`);
  if (!OPENPAYGO_TOKEN_TYPE_NAMES.includes(req.type))
    throw field(`token_type must be one of ${OPENPAYGO_TOKEN_TYPE_NAMES.join(', ')}`);
  const value = tokenValue(req.type, req.value, extended);
  const base = encodeBase(baseOf(startingCode, shape), value, shape);
  const newCount = nextCount(req.count, req.type);
  let code = withBase(startingCode, base, shape);
  for (let i = 0; i < newCount; i++) code = nextCode(code, key, shape);
  const final = withBase(code, base, shape);
  const token = req.restrictedDigitSet
    ? toRestrictedDigits(final, shape)
    : String(final).padStart(shape.digits, '0');
  return { token, newCount };
}

/** The value a token carries: the activation value, or the command value of the type. */
function tokenValue(type: OpenPaygoTokenType, value: number | null | undefined, extended: boolean): number {
  if (type === 'DISABLE_PAYG' || type === 'COUNTER_SYNC') {
    if (value !== undefined && value !== null)
      throw new TokenEngineError('MG_ERR_TOKEN_OPENPAYGO_VALUE', `value_raw must be null for ${type}`);
    return type === 'DISABLE_PAYG' ? PAYG_DISABLE_VALUE : COUNTER_SYNC_VALUE;
  }
  const max = extended ? MAX_ACTIVATION_VALUE_EXTENDED : MAX_ACTIVATION_VALUE;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max)
    throw new TokenEngineError(
      'MG_ERR_TOKEN_OPENPAYGO_VALUE',
      `value_raw must be an integer 0..${max} for ${type}`,
    );
  // An extended SET_TIME of 998 or 999 would be the very token of DISABLE_PAYG / COUNTER_SYNC
  // (same odd count, same value): refuse it rather than disable or resync a device by accident.
  if (extended && type === 'SET_TIME' && (value === PAYG_DISABLE_VALUE || value === COUNTER_SYNC_VALUE))
    throw new TokenEngineError(
      'MG_ERR_TOKEN_OPENPAYGO_VALUE',
      `an extended SET_TIME cannot carry ${value}: it reads as ${value === PAYG_DISABLE_VALUE ? 'DISABLE_PAYG' : 'COUNTER_SYNC'}`,
    );
  return value;
}

const field = (detail: string): TokenEngineError =>
  new TokenEngineError('MG_ERR_TOKEN_OPENPAYGO_FIELD', detail);
