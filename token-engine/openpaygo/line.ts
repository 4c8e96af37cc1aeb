import { TokenEngineError } from '../errors.js';
import { OPENPAYGO_TOKEN_TYPE_NAMES, type OpenPaygoTokenType } from './constants.js';
import { encodeOpenPaygoToken, type OpenPaygoEncodeRequest } from './encode.js';

/**
 * One line of `metergate token openpaygo`: an object in the schema of the published OpenPAYGO
 * test vectors (`serial_number, starting_code, key, count, token_type, value_raw,
 * restricted_digit_set, extended_token`) → the same object with `token` and `new_count`.
 * Any other keys (an expected `token`, a note) are kept as they are except those two.
 */
export type OpenPaygoLine = Record<string, unknown> & {
  serial_number?: string;
  starting_code: number;
  key: string;
  count: number;
  token_type: OpenPaygoTokenType;
  value_raw: number | null;
  restricted_digit_set: boolean;
  extended_token: boolean;
};

/** Validate a parsed JSON value as a line; the error names the first bad field. */
export function openPaygoRequestFromLine(input: unknown): OpenPaygoEncodeRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw bad('line', 'must be a JSON object');
  const o = input as Record<string, unknown>;
  if (o.serial_number !== undefined && typeof o.serial_number !== 'string')
    throw bad('serial_number', 'must be a string');
  if (typeof o.key !== 'string' || !/^[0-9a-fA-F]{32}$/.test(o.key))
    throw new TokenEngineError('MG_ERR_TOKEN_OPENPAYGO_KEY', 'field "key" must be 32 hex digits');
  const startingCode = o.starting_code;
  if (
    typeof startingCode !== 'number' ||
    !Number.isSafeInteger(startingCode) ||
    startingCode < 0 ||
    startingCode > 999_999_999
  )
    throw bad('starting_code', 'must be an integer 0..999999999');
  if (typeof o.count !== 'number' || !Number.isSafeInteger(o.count) || o.count < 0 || o.count > 2 ** 31)
    throw bad('count', 'must be an integer 0..2147483648');
  if (
    typeof o.token_type !== 'string' ||
    !OPENPAYGO_TOKEN_TYPE_NAMES.includes(o.token_type as OpenPaygoTokenType)
  )
    throw bad('token_type', `must be one of ${OPENPAYGO_TOKEN_TYPE_NAMES.join(', ')}`);
  if (o.value_raw !== null && o.value_raw !== undefined && typeof o.value_raw !== 'number')
    throw bad('value_raw', 'must be an integer or null');
  for (const f of ['restricted_digit_set', 'extended_token'] as const)
    if (o[f] !== undefined && typeof o[f] !== 'boolean') throw bad(f, 'must be true or false');
  return {
    key: o.key,
    startingCode,
    count: o.count,
    type: o.token_type as OpenPaygoTokenType,
    value: (o.value_raw as number | null | undefined) ?? null,
    restrictedDigitSet: o.restricted_digit_set === true,
    extended: o.extended_token === true,
  };
}

/** The output object: the input with `token` and `new_count` set. */
export function openPaygoLine(input: unknown): Record<string, unknown> {
  const req = openPaygoRequestFromLine(input);
  try {
    const { token, newCount } = encodeOpenPaygoToken(req);
    return { ...(input as Record<string, unknown>), token, new_count: newCount };
  } catch (err) {
    // The encoder's value errors are about value_raw: say so in the field-named form.
    if (err instanceof TokenEngineError && err.code === 'MG_ERR_TOKEN_OPENPAYGO_VALUE')
      throw new TokenEngineError(
        'MG_ERR_TOKEN_OPENPAYGO_VALUE',
        `field "value_raw" ${err.message.split(': ').slice(1).join(': ')}`,
      );
    throw err;
  }
}

function bad(field: string, detail: string): TokenEngineError {
  return new TokenEngineError('MG_ERR_TOKEN_OPENPAYGO_FIELD', `field "${field}" ${detail}`);
}
