import { createHmac } from 'node:crypto';
import type { MeterKey } from './types.js';

/**
 * DKGA04 (IEC 62055-41, decoder key generation algorithm 04): HMAC-SHA-256 keyed with the vending
 * key over a fixed message, truncated to 8 bytes (EA07 STA) or 16 bytes (EA11 MISTY1).
 * Message bytes (STS.md): 04 02 "04" 02 <base yy> 02 <ea> 02 <TI 2 ascii> 00 04 06 <SGC 6 ascii>
 * 01 <KT hex> 01 <KRN hex> 12 <PAN 18 ascii> 00 00 00 <40 | 80 = output length in bits>.
 */
export function dkga04(
  key: Pick<MeterKey, 'vendingKey' | 'sgc' | 'ti' | 'krn' | 'kt' | 'ea' | 'baseDate'>,
  pan18: string,
): Uint8Array {
  const outBytes = key.ea === '11' ? 16 : 8;
  // Built as one latin1 string: this runs once per vended token, and 17 small Buffers cost more
  // than the HMAC itself.
  const msg =
    '\x04\x02' +
    '04' +
    '\x02' +
    String(key.baseDate % 100).padStart(2, '0') +
    '\x02' +
    key.ea +
    '\x02' +
    String(key.ti).padStart(2, '0') +
    '\x00\x04\x06' +
    key.sgc +
    '\x01' +
    key.kt.toString(16).toUpperCase() +
    '\x01' +
    key.krn.toString(16).toUpperCase() +
    '\x12' +
    pan18 +
    '\x00\x00\x00' +
    String.fromCharCode(outBytes * 8);
  const mac = createHmac('sha256', Buffer.from(key.vendingKey, 'hex')).update(msg, 'latin1').digest();
  const dk = Uint8Array.from(mac.subarray(0, outBytes));
  mac.fill(0);
  return dk;
}
