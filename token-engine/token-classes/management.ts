import { encodeAmountRaw } from '../amount.js';
import { buildToken } from '../block.js';
import { prepareCipher } from '../cipher.js';
import { TokenEngineError } from '../errors.js';
import { assertTid, assertTidWithinKen } from '../tid.js';
import type { Ea, StaTables } from '../types.js';
import { intField, RND_MAX } from './fields.js';

/** Class 2 (IEC 62055-41 non-meter-specific / meter-specific management) subclasses with a TID. */
export const MANAGEMENT_CLASS = 2;
export const MANAGEMENT_SUBCLASSES = {
  setMaxPower: 0,
  clearCredit: 1,
  setTariffRate: 2,
  clearTamper: 5,
  setMaxPhasePowerUnbalance: 6,
  setWaterMeterFactor: 7,
} as const;
/** Subclasses whose 16-bit field uses the amount formula on whole watts. */
export const WATT_SUBCLASSES: ReadonlySet<number> = new Set([0, 6]);
/** Register selector of "clear credit" meaning every register. */
export const CLEAR_ALL_REGISTERS = 0xffff;

export type ManagementTokenRequest = {
  decoderKey: Uint8Array;
  ea: Ea;
  staTables?: StaTables;
  subclass: 0 | 1 | 2 | 5 | 6 | 7;
  /** Watts for subclasses 0 and 6 (rounded up to the encodable value); raw 0..65535 otherwise. */
  value: number;
  tid: number;
  rnd: number;
  ken?: number;
};

export function generateManagementToken(req: ManagementTokenRequest): string {
  const subclass = intField(req.subclass, 0, 15, 'subclass');
  if (![0, 1, 2, 5, 6, 7].includes(subclass)) {
    throw new TokenEngineError(
      'MG_ERR_TOKEN_CLASS',
      `class 2 subclass ${subclass} is not a management token (key change sections 3, 4, 8, 9 come from generateKeyChangeTokens)`,
    );
  }
  const rnd = intField(req.rnd, 0, RND_MAX, 'rnd');
  assertTid(req.tid);
  assertTidWithinKen(req.tid, req.ken);
  const field = WATT_SUBCLASSES.has(subclass)
    ? encodeAmountRaw(req.value)
    : intField(req.value, 0, 0xffff, 'value');
  const hi = (subclass << 28) | (rnd << 24) | req.tid;
  return buildToken(MANAGEMENT_CLASS, hi, field, prepareCipher(req));
}
