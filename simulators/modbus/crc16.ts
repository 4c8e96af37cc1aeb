/**
 * CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), appended low byte first — "MODBUS over Serial
 * Line Specification and Implementation Guide V1.02" §2.5.1.2 and appendix B. Written here (a dozen
 * lines) so the simulator does not share a CRC implementation with the driver it tests.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

export function crc16Modbus(data: Uint8Array): number {
  let crc = 0xffff;
  for (const b of data) crc = (crc >>> 8) ^ TABLE[(crc ^ b) & 0xff]!;
  return crc;
}

/** The frame with its CRC appended, low byte first. */
export function withCrc(frame: Uint8Array): Buffer {
  const crc = crc16Modbus(frame);
  return Buffer.concat([frame, Buffer.from([crc & 0xff, crc >>> 8])]);
}

/** True when the last two bytes are the CRC of the rest. */
export function crcOk(adu: Uint8Array): boolean {
  if (adu.length < 4) return false;
  const crc = crc16Modbus(adu.subarray(0, adu.length - 2));
  return adu[adu.length - 2] === (crc & 0xff) && adu[adu.length - 1] === crc >>> 8;
}
