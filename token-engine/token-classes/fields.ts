import { TokenEngineError } from '../errors.js';

/** Range checks shared by the token classes; each names the field it refuses. */
export function intField(v: unknown, min: number, max: number, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new TokenEngineError('MG_ERR_TOKEN_FIELD_RANGE', `${name} must be an integer ${min}..${max}`);
  }
  return v;
}

/** RND: 4 random bits chosen by the vendor (IEC 62055-41 RND); an argument here, never generated. */
export const RND_MAX = 15;
