import { buildToken } from '../block.js';
import { TokenEngineError } from '../errors.js';
import { intField } from './fields.js';

/**
 * Class 1 (IEC 62055-41 InitiateMeterTest/Display): not encrypted, no TID.
 *   subclass 0: control(36) | manufacturer code(8)  (bits 16–23)
 *   subclass 1: control(28) | manufacturer code(16) (bits 16–31)
 */
export const TEST_CLASS = 1;
const LAYOUT = { 0: { mfrBits: 8, controlBits: 36 }, 1: { mfrBits: 16, controlBits: 28 } } as const;

export type TestTokenRequest = {
  subclass: 0 | 1;
  mfrCode: number;
  /** Control bits: bigint, safe integer, or hex string (as in the vector files). */
  control: bigint | number | string;
};

export function parseControl(control: bigint | number | string): bigint {
  if (typeof control === 'bigint') return control;
  if (typeof control === 'number' && Number.isSafeInteger(control) && control >= 0) return BigInt(control);
  if (typeof control === 'string' && /^(0x)?[0-9a-fA-F]{1,10}$/.test(control))
    return BigInt(`0x${control.replace(/^0x/, '')}`);
  throw new TokenEngineError('MG_ERR_TOKEN_FIELD_RANGE', 'control must be a bigint, integer or hex string');
}

export function generateTestToken(req: TestTokenRequest): string {
  const subclass = intField(req.subclass, 0, 1, 'subclass') as 0 | 1;
  const { mfrBits, controlBits } = LAYOUT[subclass];
  const mfr = intField(req.mfrCode, 0, 2 ** mfrBits - 1, 'mfrCode');
  const control = parseControl(req.control);
  if (control < 0n || control >= 1n << BigInt(controlBits)) {
    throw new TokenEngineError('MG_ERR_TOKEN_FIELD_RANGE', `control must fit in ${controlBits} bits`);
  }
  // 48 bits above the CRC: subclass(4) | control | mfr.
  const upper = (BigInt(subclass) << 44n) | (control << BigInt(mfrBits)) | BigInt(mfr);
  const hi = Number(upper >> 16n);
  const field = Number(upper & 0xffffn);
  return buildToken(TEST_CLASS, hi, field, null);
}

export function decodeTestFields(
  subclass: number,
  hi: number,
  field: number,
): { mfrCode: number; control: bigint } | null {
  if (subclass !== 0 && subclass !== 1) return null;
  const { mfrBits } = LAYOUT[subclass];
  const upper = (BigInt(hi) << 16n) | BigInt(field);
  const body = upper & ((1n << 44n) - 1n);
  return { mfrCode: Number(body & ((1n << BigInt(mfrBits)) - 1n)), control: body >> BigInt(mfrBits) };
}
