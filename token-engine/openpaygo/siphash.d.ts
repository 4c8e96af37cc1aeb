/** Types for the `siphash` package (jedisct1/siphash-js, SipHash-2-4), which ships none. */
declare module 'siphash' {
  /** key: four 32-bit words, little-endian; returns the 64-bit result as high/low words. */
  export function hash(key: ArrayLike<number>, message: Uint8Array | string): { h: number; l: number };
  export function hash_hex(key: ArrayLike<number>, message: Uint8Array | string): string;
}
