/**
 * Counter-based deterministic randomness: every draw is a pure function of (seed, stream, index), so
 * the value of any quarter-hour of any day is computable without replaying the days before it. That
 * is what makes fast-forward and years of daily history cheap and identical to the live meter.
 */

/** FNV-1a 32-bit hash of a string, to turn a seed and meter id into a 32-bit key. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The murmur3 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) from a key and up to two integer coordinates. */
export function uniform(key: number, a: number, b = 0): number {
  const h = fmix32((key ^ fmix32((a | 0) + 0x9e3779b9 + fmix32((b | 0) ^ 0x7f4a7c15))) >>> 0);
  return h / 0x1_0000_0000;
}

const IRWIN_HALL_4 = Math.sqrt(3) / 255;

/**
 * Approximately standard normal: Irwin–Hall sum of the four bytes of one hash (four 8-bit uniforms),
 * scaled to unit variance. One hash per draw keeps a year of quarter-hours cheap; smooth enough for
 * load noise.
 */
export function normal(key: number, a: number, b = 0): number {
  const h = Math.floor(uniform(key, a, b) * 0x1_0000_0000);
  const s = (h & 0xff) + ((h >>> 8) & 0xff) + ((h >>> 16) & 0xff) + (h >>> 24);
  return (s - 510) * IRWIN_HALL_4;
}
