import { encodeAmount } from '../amount.js';
import { buildToken } from '../block.js';
import { prepareCipher } from '../cipher.js';
import { assertTid, assertTidWithinKen } from '../tid.js';
import type { Ea, StaTables } from '../types.js';
import { intField, RND_MAX } from './fields.js';

/** Class 0 (IEC 62055-41 TransferCredit): subclass 0 electricity (0.1 kWh), 1 water, 2 gas (0.1 m³). */
export const CREDIT_CLASS = 0;
export const CREDIT_SUBCLASSES = { electricity: 0, water: 1, gas: 2 } as const;

export type CreditTokenRequest = {
  decoderKey: Uint8Array;
  ea: Ea;
  staTables?: StaTables;
  subclass: 0 | 1 | 2;
  /** kWh or m³; below 1 rounds up to the next tenth, otherwise truncates to tenths. */
  units: number;
  tid: number;
  rnd: number;
  /** When given, a TID past the key's expiry number is refused (MG_ERR_TOKEN_KEY_EXPIRED). */
  ken?: number;
};

export function generateCreditToken(req: CreditTokenRequest): string {
  const subclass = intField(req.subclass, 0, 2, 'subclass');
  const rnd = intField(req.rnd, 0, RND_MAX, 'rnd');
  assertTid(req.tid);
  assertTidWithinKen(req.tid, req.ken);
  const field = encodeAmount(req.units);
  const hi = (subclass << 28) | (rnd << 24) | req.tid;
  return buildToken(CREDIT_CLASS, hi, field, prepareCipher(req));
}
