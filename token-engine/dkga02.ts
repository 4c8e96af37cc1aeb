import { createCipheriv } from 'node:crypto';
import type { MeterKey } from './types.js';

/**
 * DKGA02 (IEC 62055-41, decoder key generation algorithm 02, DES based):
 *   PANBlock     = the 16 right-most digits of IIN ‖ IAIN read as hex nibbles
 *   ControlBlock = hex of KT(1) SGC(6) TI(2) KRN(1) FFFFFF
 *   P = PANBlock ⊕ ControlBlock;  DK = DES_VK(P) ⊕ P ⊕ VK
 * Single DES: Node's OpenSSL 3 refuses `des-ecb` (legacy provider) but 2-key `des-ede-ecb` with
 * key VK‖VK is E_VK(D_VK(E_VK(x))) = E_VK(x), i.e. single DES, in native code.
 */
export function dkga02(
  key: Pick<MeterKey, 'vendingKey' | 'sgc' | 'ti' | 'krn' | 'kt'>,
  pan18: string,
): Uint8Array {
  const vk = Buffer.from(key.vendingKey, 'hex');
  const panBlock = Buffer.from(pan18.slice(1, 17), 'hex');
  const control = Buffer.from(
    `${key.kt.toString(16)}${key.sgc}${String(key.ti).padStart(2, '0')}${key.krn.toString(16)}FFFFFF`,
    'hex',
  );
  const p = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) p[i] = panBlock[i]! ^ control[i]!;
  const des = createCipheriv('des-ede-ecb', Buffer.concat([vk, vk]), null);
  des.setAutoPadding(false);
  const e = des.update(p);
  const dk = new Uint8Array(8);
  for (let i = 0; i < 8; i++) dk[i] = e[i]! ^ p[i]! ^ vk[i]!;
  e.fill(0);
  vk.fill(0);
  return dk;
}
