import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The basemap that works with no internet: Natural Earth's admin-0 boundaries at 1:50m as TopoJSON,
 * from the `world-atlas` npm package (public domain data, ≈ 750 kB, cached a day by the browser).
 * 1:50m draws Morocco's coast and borders to within a few km: enough to place a district; the
 * meters, transformers and outages are drawn on top, and a utility with a tile server sets one.
 */
let cached: Buffer | undefined;

export function basemapTopology(): Buffer {
  cached ??= readFileSync(createRequire(import.meta.url).resolve('world-atlas/countries-50m.json'));
  return cached;
}
