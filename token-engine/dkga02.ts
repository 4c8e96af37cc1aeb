import { desEncryptBlock } from './des.js';
import type { MeterKey } from './types.js';

/**
 * DKGA02 (IEC 62055-41, decoder key generation algorithm 02, DES based):
 *   PANBlock     = the 16 right-most digits of IIN ‖ IAIN read as hex nibbles
 *   ControlBlock = hex of KT(1) SGC(6) TI(2) KRN(1) FFFFFF
 *   P = PANBlock ⊕ ControlBlock;  DK = DES_VK(P) ⊕ P ⊕ VK
 * Single DES comes from des.ts (our FIPS 46-3 implementation: Node's OpenSSL 3 refuses
 * `des-ecb`, see that file), on 32-bit words: no padding, no buffer objects.
 */
export function dkga02(
  key: Pick<MeterKey, 'vendingKey' | 'sgc' | 'ti' | 'krn' | 'kt'>,
  pan18: string,
): Uint8Array {
  const vkHi = parseInt(key.vendingKey.slice(0, 8), 16) >>> 0;
  const vkLo = parseInt(key.vendingKey.slice(8, 16), 16) >>> 0;
  const panHex = pan18.slice(1, 17);
  const control = `${key.kt.toString(16)}${key.sgc}${String(key.ti).padStart(2, '0')}${key.krn.toString(16)}ffffff`;
  const pHi = (parseInt(panHex.slice(0, 8), 16) ^ parseInt(control.slice(0, 8), 16)) >>> 0;
  const pLo = (parseInt(panHex.slice(8, 16), 16) ^ parseInt(control.slice(8, 16), 16)) >>> 0;
  const e = desEncryptBlock(vkHi, vkLo, pHi, pLo);
  const dkHi = (e[0]! ^ pHi ^ vkHi) >>> 0;
  const dkLo = (e[1]! ^ pLo ^ vkLo) >>> 0;
  e.fill(0);
  const dk = new Uint8Array(8);
  const view = new DataView(dk.buffer);
  view.setUint32(0, dkHi);
  view.setUint32(4, dkLo);
  return dk;
}
