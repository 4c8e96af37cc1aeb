import forge from 'node-forge';
import type { MeterKey } from './types.js';

/**
 * DKGA02 (IEC 62055-41, decoder key generation algorithm 02, DES based):
 *   PANBlock     = the 16 right-most digits of IIN ‖ IAIN read as hex nibbles
 *   ControlBlock = hex of KT(1) SGC(6) TI(2) KRN(1) FFFFFF
 *   P = PANBlock ⊕ ControlBlock;  DK = DES_VK(P) ⊕ P ⊕ VK
 * Single DES comes from node-forge (Node's OpenSSL 3 refuses `des-ecb`; `des-ede-ecb` with VK‖VK
 * also works but costs ~4× more per call through createCipheriv). We drive forge's DES block
 * function directly on 32-bit words: no padding, no buffer objects, ~1 µs per key.
 */
type DesAlgorithm = {
  initialize(options: { key: string }): void;
  mode: { cipher: { encrypt(input: number[], output: number[]): void } };
};
type DesAlgorithmCtor = new (name: string, mode: unknown) => DesAlgorithm;
const forgeDes = forge as unknown as {
  des: { Algorithm: DesAlgorithmCtor };
  cipher: { modes: { ecb: unknown } };
};

function desEncryptBlock(keyBinary: string, hi: number, lo: number, out: number[]): void {
  const alg = new forgeDes.des.Algorithm('DES-ECB', forgeDes.cipher.modes.ecb);
  alg.initialize({ key: keyBinary });
  alg.mode.cipher.encrypt([hi | 0, lo | 0], out);
}

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
  let vk = '';
  for (let i = 0; i < 8; i++) vk += String.fromCharCode(parseInt(key.vendingKey.slice(2 * i, 2 * i + 2), 16));
  const e: number[] = [];
  desEncryptBlock(vk, pHi, pLo, e);
  const dkHi = (e[0]! ^ pHi ^ vkHi) >>> 0;
  const dkLo = (e[1]! ^ pLo ^ vkLo) >>> 0;
  e.length = 0;
  const dk = new Uint8Array(8);
  const view = new DataView(dk.buffer);
  view.setUint32(0, dkHi);
  view.setUint32(4, dkLo);
  return dk;
}
