/**
 * A walking order through points: greedy nearest neighbour from the westernmost point, distances on
 * an equirectangular projection (fine at a district's scale). Not optimal — a tour at most ~25 %
 * longer than the best on city grids in practice — and O(n²), which is nothing for a round.
 */
export function nearestNeighbourOrder<T extends { lat: number; lon: number }>(points: readonly T[]): T[] {
  if (points.length === 0) return [];
  const left = [...points];
  left.sort((a, b) => a.lon - b.lon || a.lat - b.lat);
  const out: T[] = [left.shift()!];
  while (left.length) {
    const here = out[out.length - 1]!;
    const k = Math.cos((here.lat * Math.PI) / 180);
    let best = 0;
    let bestD = Infinity;
    left.forEach((p, i) => {
      const dx = (p.lon - here.lon) * k;
      const dy = p.lat - here.lat;
      const d = dx * dx + dy * dy;
      if (d < bestD) [best, bestD] = [i, d];
    });
    out.push(left.splice(best, 1)[0]!);
  }
  return out;
}
