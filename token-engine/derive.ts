import { dkga02 } from './dkga02.js';
import { dkga04 } from './dkga04.js';
import { validateMeterKey } from './key-fields.js';
import type { MeterKey, StaTables } from './types.js';

export type DeriveOptions = {
  /** Accepted for symmetry with the other calls; key derivation does not use the STA tables. */
  staTables?: StaTables;
};

/**
 * Decoder key of a meter (big-endian bytes): 8 bytes for EA07, 16 bytes for EA11 (DKGA04 only).
 * Throws TokenEngineError (MG_ERR_TOKEN_KEY_FIELD / MG_ERR_TOKEN_PAN) naming the bad field.
 */
export function deriveDecoderKey(key: MeterKey, _opts?: DeriveOptions): Uint8Array {
  const k = validateMeterKey(key);
  return k.dkga === '02' ? dkga02(k, k.pan) : dkga04(k, k.pan);
}
