// @ts-check
/**
 * What the map page asks the gateway for a view, without any map library: pure helpers, so Node
 * can test them. A view never receives more than POINT_LIMIT meters: the gateway counts a wide view
 * in a grid (GET /api/map/clusters, from its in-memory index), and only a view that holds few
 * enough meters fetches them one by one (GET /api/map/meters), to be clustered here by supercluster.
 */

/** The map's colours, most urgent first (the gateway's METER_STATES, gateway/field/map/map-state.ts). */
export const MAP_STATES = /** @type {const} */ ([
  'outage',
  'relay-open',
  'silent',
  'unread',
  'low-credit',
  'anomaly',
  'estimated',
  'reporting',
]);

/**
 * A meter's colour: the most urgent of its state (whether it reports) and its flags (relay open,
 * low credit, anomaly, estimated), as the gateway's clusters count them.
 * @param {string} state @param {string[]|undefined} flags
 */
export function colourOf(state, flags) {
  return MAP_STATES.find((s) => s === state || (flags ?? []).includes(s)) ?? 'reporting';
}

/** Above this many meters in view, the page shows the gateway's grid counts instead of points. */
export const POINT_LIMIT = 2000;

/** One grid cell per ~72 px of map: bubbles that do not overlap, whatever the screen. */
export const CELL_PX = 72;

/**
 * `minLon,minLat,maxLon,maxLat` of a view, clamped to WGS 84 (a world view wraps past ±180).
 * @param {{ west: number, south: number, east: number, north: number }} b
 */
export function bboxParam(b) {
  const c = (/** @type {number} */ x, /** @type {number} */ lim) => Math.max(-lim, Math.min(lim, x));
  const r = (/** @type {number} */ x) => Math.round(x * 1e6) / 1e6;
  return [c(b.west, 180), c(b.south, 90), c(b.east, 180), c(b.north, 90)].map(r).join(',');
}

/**
 * The most urgent state present in a cluster's counts (`reporting` when all are).
 * @param {Record<string, number>} counts
 */
export function worstState(counts) {
  return MAP_STATES.find((s) => (counts[s] ?? 0) > 0) ?? 'reporting';
}

/**
 * supercluster's options: each cluster carries its count per state (`s:<state>`), so a bubble is
 * coloured by its worst meter and the legend's totals add up.
 */
export const CLUSTER_OPTIONS = {
  radius: 56,
  maxZoom: 17,
  /** @param {{ colour: string }} p */
  map: (p) => ({ [`s:${p.colour}`]: 1 }),
  /** @param {Record<string, number>} acc @param {Record<string, number>} p */
  reduce: (acc, p) => {
    for (const k of Object.keys(p)) if (k.startsWith('s:')) acc[k] = (acc[k] ?? 0) + p[k];
  },
};

/**
 * A supercluster cluster's counts per state, without the prefix.
 * @param {Record<string, unknown>} props
 */
export function clusterCounts(props) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const s of MAP_STATES) out[s] = Number(props[`s:${s}`] ?? 0);
  return out;
}

/**
 * Sums every state over a list of count records (for the legend's totals in view).
 * @param {Record<string, number>[]} list
 */
export function sumStates(list) {
  /** @type {Record<string, number>} */
  const out = Object.fromEntries(MAP_STATES.map((s) => [s, 0]));
  for (const c of list) for (const s of MAP_STATES) out[s] += c[s] ?? 0;
  return out;
}
