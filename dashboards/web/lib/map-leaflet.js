// @ts-check
/* global URL, document */
/**
 * Leaflet and its helpers, loaded the first time the map page opens (nothing on the other pages):
 * Leaflet's ES module, supercluster and topojson-client (UMD builds that set a global), Leaflet's
 * stylesheet and the page's own (link elements: the CSP allows same-origin stylesheets, not inline
 * style). Markers are div icons styled by class (no image: Leaflet's default marker PNGs are not
 * served, and an inline style attribute would break the CSP).
 */

/** @type {Promise<{ L: any, Supercluster: any, topojson: any }>|undefined} */
let loading;

/** @param {string} href */
function stylesheet(href) {
  const url = new URL(href, import.meta.url).href;
  if (
    [...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => /** @type {any} */ (l).href === url)
  )
    return Promise.resolve();
  return new Promise((resolve) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = url;
    link.onload = () => resolve(undefined);
    link.onerror = () => resolve(undefined);
    document.head.appendChild(link);
  });
}

export function loadMapLibraries() {
  loading ??= Promise.all([
    import('../vendor/leaflet.js'),
    import('../vendor/supercluster.js'),
    import('../vendor/topojson-client.js'),
    stylesheet('../vendor/leaflet.css'),
    stylesheet('./map.css'),
  ]).then(([L]) => ({
    L,
    Supercluster: /** @type {any} */ (globalThis).Supercluster,
    topojson: /** @type {any} */ (globalThis).topojson,
  }));
  return loading;
}

/** @param {string} s */
export function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * One meter: a dot of its colour (lib/map-data.js colourOf); square when prepaid.
 * @param {any} L @param {{ id: string, colour: string, kind: string }} p
 */
export function meterIcon(L, p) {
  return L.divIcon({
    className: `mg-pin mg-s-${p.colour}${p.kind === 'prepaid' ? ' mg-prepaid' : ''}`,
    html: `<span data-meter="${escapeHtml(p.id)}" data-count="1" data-state="${escapeHtml(p.colour)}"></span>`,
    iconSize: [16, 16],
  });
}

/**
 * A group of meters: a bubble with its count, ringed with the colour of its worst meter.
 * @param {any} L @param {number} count @param {string} worst
 */
export function clusterIcon(L, count, worst) {
  const size = count < 10 ? 30 : count < 100 ? 36 : count < 1000 ? 44 : 52;
  return L.divIcon({
    className: `mg-cluster mg-s-${worst}`,
    html: `<span data-count="${count}" data-state="${escapeHtml(worst)}">${count}</span>`,
    iconSize: [size, size],
  });
}

/**
 * A small square (transformer, work order) or a numbered stop (recharge round).
 * @param {any} L @param {string} className @param {string} [label]
 */
export function tagIcon(L, className, label = '') {
  return L.divIcon({ className, html: `<span>${escapeHtml(label)}</span>`, iconSize: [18, 18] });
}
