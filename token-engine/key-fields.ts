import { TokenEngineError } from './errors.js';
import { parsePan } from './pan.js';
import { BASE_DATES, type MeterKey } from './types.js';

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** Validate every field of a MeterKey (IEC 62055-41 ranges); returns the key with the PAN normalised. */
export function validateMeterKey(key: MeterKey): MeterKey {
  if (key === null || typeof key !== 'object')
    throw new TokenEngineError('MG_ERR_TOKEN_KEY_FIELD', 'key must be an object');
  if (key.dkga !== '02' && key.dkga !== '04') bad('dkga must be "02" or "04"');
  if (key.ea !== '07' && key.ea !== '11') bad('ea must be "07" or "11"');
  if (typeof key.vendingKey !== 'string' || !HEX.test(key.vendingKey)) bad('vendingKey must be hex bytes');
  if (key.dkga === '02' && key.vendingKey.length !== 16)
    bad('vendingKey must be 8 bytes (16 hex digits) for DKGA02');
  if (key.dkga === '02' && key.ea === '11') bad('DKGA02 yields a 64-bit key, EA11 (MISTY1) needs DKGA04');
  if (typeof key.sgc !== 'string' || !/^\d{6}$/.test(key.sgc)) bad('sgc must be 6 digits');
  intIn(key.ti, 0, 99, 'ti');
  intIn(key.krn, 1, 9, 'krn');
  intIn(key.kt, 0, 3, 'kt');
  intIn(key.ken, 0, 255, 'ken');
  if (!BASE_DATES.includes(key.baseDate)) bad('baseDate must be 1993, 2014 or 2035');
  const pan = parsePan(key.pan);
  if (!pan.ok) throw new TokenEngineError('MG_ERR_TOKEN_PAN', pan.message);
  return { ...key, pan: pan.pan };
}

function intIn(v: unknown, min: number, max: number, name: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(`${name} must be an integer ${min}..${max}`);
}

function bad(detail: string): never {
  throw new TokenEngineError('MG_ERR_TOKEN_KEY_FIELD', detail);
}

/**
 * Hex to bytes without Node's Buffer (the phone's offline vending bundle runs it too), reading as
 * `Buffer.from(hex, 'hex')` does: whole pairs, up to the first one that is not hex.
 */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const pair = hex.slice(2 * i, 2 * i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) return out.slice(0, i);
    out[i] = Number.parseInt(pair, 16);
  }
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
