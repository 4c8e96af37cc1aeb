/**
 * Token CRC (IEC 62055-41 §6.3 CRC): CRC-16/MODBUS (reflected polynomial 0xA001, init 0xFFFF,
 * no final xor) over the 50-bit value class<<48 | subclass<<44 | … | field written as 7 bytes
 * big-endian, with the two result bytes swapped before it goes into bits 0–15 of the data block.
 * Example (STS.md): class 0, sub 0, rnd 5, tid 0xC02A55, amount 0x2710 → 0x1970.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[n] = c;
  }
  return t;
})();

export function crc16Modbus(bytes: ArrayLike<number>): number {
  let crc = 0xffff;
  for (let i = 0; i < bytes.length; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** CRC with byte swap for class `cls`, the upper 32 bits `hi` of the data block and its 16-bit field. */
export function tokenCrc(cls: number, hi: number, field: number): number {
  let crc = 0xffff;
  const step = (b: number): void => {
    crc = (crc >>> 8) ^ TABLE[(crc ^ b) & 0xff]!;
  };
  step(cls & 3);
  step(hi >>> 24);
  step((hi >>> 16) & 0xff);
  step((hi >>> 8) & 0xff);
  step(hi & 0xff);
  step(field >>> 8);
  step(field & 0xff);
  return ((crc & 0xff) << 8) | (crc >>> 8);
}
