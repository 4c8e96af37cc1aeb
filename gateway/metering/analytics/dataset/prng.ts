/**
 * Seeded pseudo-random numbers for reproducible data sets (mulberry32, public domain, by Tommy
 * Ettinger; hand-written because it is 6 lines and a dependency would only add weight).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mix a data-set seed and a meter index into one 32-bit seed (so meter i is the same at any size). */
export function meterSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (index + 0x7f4a7c15), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Standard normal by Box–Muller. */
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export function between(rand: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rand();
}

export function intBetween(rand: () => number, lo: number, hi: number): number {
  return Math.floor(lo + (hi - lo + 1) * rand());
}
