import { TokenEngineError } from './errors.js';

/**
 * 16-bit amount field = exponent(2) | mantissa(14) (IEC 62055-41 TransferAmount):
 *   t = m·10^e + Σ_{n=1..e} 2^14·10^(n-1)
 * Credit is in tenths of a unit; power limits (W) use the same formula on whole watts.
 */
export const MANTISSA_LIMIT = 16384;
export const MAX_AMOUNT_TENTHS = 18_201_624;
export const MAX_CREDIT_UNITS = MAX_AMOUNT_TENTHS / 10;

const OFFSET = [0, 16_384, 180_224, 1_818_624];
const POW10 = [1, 10, 100, 1000];

/** Encode an integer quantity (tenths, or watts), rounding the mantissa up; carries into e via addition. */
export function encodeAmountRaw(t: number): number {
  if (!Number.isInteger(t) || t < 0 || t > MAX_AMOUNT_TENTHS) {
    throw new TokenEngineError('MG_ERR_TOKEN_AMOUNT_RANGE', `must be an integer 0..${MAX_AMOUNT_TENTHS}`);
  }
  let e = 0;
  while (e < 3 && t >= OFFSET[e + 1]!) e++;
  // Round up, in the customer's favour; (e<<14)+m lets m = 16384 carry into the next exponent.
  const m = Math.ceil((t - OFFSET[e]!) / POW10[e]!);
  const field = (e << 14) + m;
  if (field > 0xffff)
    throw new TokenEngineError('MG_ERR_TOKEN_AMOUNT_RANGE', `above the maximum ${MAX_AMOUNT_TENTHS}`);
  return field;
}

export function decodeAmountRaw(field: number): number {
  const e = (field >>> 14) & 3;
  return (field & 0x3fff) * POW10[e]! + OFFSET[e]!;
}

/**
 * Credit units → tenths: below 1 unit round up to the next tenth, otherwise truncate to tenths
 * (0.1 → 1; 1638.3 → 16383). Binary floating point noise (0.3·10 = 3.0000000000000004) is
 * removed first so it never moves a value across a tenth.
 */
export function unitsToTenths(units: number): number {
  if (typeof units !== 'number' || !Number.isFinite(units) || units < 0) {
    throw new TokenEngineError('MG_ERR_TOKEN_AMOUNT_RANGE', 'amount must be a finite number ≥ 0');
  }
  const t = units * 10;
  const r = Math.round(t);
  const clean = Math.abs(t - r) < 1e-6 ? r : t;
  return units < 1 ? Math.ceil(clean) : Math.floor(clean);
}

/** Credit amount in units (kWh, m³) → 16-bit field. */
export function encodeAmount(units: number): number {
  const tenths = unitsToTenths(units);
  if (tenths > MAX_AMOUNT_TENTHS) {
    throw new TokenEngineError('MG_ERR_TOKEN_AMOUNT_RANGE', `above the maximum ${MAX_CREDIT_UNITS} units`);
  }
  return encodeAmountRaw(tenths);
}

/** 16-bit field → credit amount in units (tenths / 10). */
export function decodeAmount(field: number): number {
  return decodeAmountRaw(field) / 10;
}
