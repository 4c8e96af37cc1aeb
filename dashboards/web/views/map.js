// @ts-check
/* global clearInterval, location, setInterval */
/**
 * The network on a map (issue 26): every connection point coloured by its state, grouped in bubbles
 * whose counts add up to the meters in view; layers for transformers, open outages, open work orders,
 * the agency's open claims and connection requests, and today's recharge round; search by meter, customer or address; a click opens the meter's page.
 * The basemap is Natural Earth's boundaries shipped with the gateway (no internet needed); a
 * utility's tile server goes on top when `METERGATE_MAP_TILE_URL` is set. The page never holds more
 * than POINT_LIMIT meters: a wide view shows the gateway's grid counts (lib/map-data.js).
 */
import { useEffect, useRef, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, fmtNumber, t } from '../lib/i18n.js';
import {
  CELL_PX,
  CLUSTER_OPTIONS,
  MAP_STATES,
  POINT_LIMIT,
  bboxParam,
  clusterCounts,
  colourOf,
  sumStates,
  worstState,
} from '../lib/map-data.js';
import { clusterIcon, loadMapLibraries, meterIcon, tagIcon } from '../lib/map-leaflet.js';

/** Rabat, when the network has no located meter yet. */
const FALLBACK_CENTER = [33.97, -6.85];
/** Colours and outages are re-read this often while the page is open. */
const REFRESH_MS = 15_000;

/** @typedef {{ meters: boolean, transformers: boolean, outages: boolean, workOrders: boolean, cases: boolean, recharge: boolean, tiles: boolean }} Layers */
/** @typedef {{ id: string, transformer: string, feeder: string|null, meters: string[], customers: string[], startedAt: string }} Outage */

const meterHref = (/** @type {string} */ id) => `#/meter/${encodeURIComponent(id)}`;

export function MapView() {
  const box = useRef(/** @type {HTMLDivElement|null} */ (null));
  /** Leaflet objects live outside preact's state: they change on every pan. */
  const m = useRef(/** @type {any} */ ({}));
  const [ready, setReady] = useState(false);
  const [error, setError] = useState('');
  const [tileUrl, setTileUrl] = useState(/** @type {string|null} */ (null));
  const [layers, setLayers] = useState(
    /** @type {Layers} */ ({
      meters: true,
      transformers: true,
      outages: true,
      workOrders: false,
      cases: false,
      recharge: false,
      tiles: true,
    }),
  );
  const [view, setView] = useState(
    /** @type {{ total: number, byState: Record<string, number>, grid: boolean }|null} */ (null),
  );
  const [outages, setOutages] = useState(/** @type {Outage[]} */ ([]));
  const [q, setQ] = useState('');
  const [results, setResults] = useState(/** @type {any[]|null} */ (null));
  const layersRef = useRef(layers);
  layersRef.current = layers;

  // Build the map once: libraries, settings, basemap, then the first view.
  useEffect(() => {
    let alive = true;
    Promise.all([loadMapLibraries(), api('/api/map/config'), api('/api/map/basemap')])
      .then(([libs, config, topo]) => {
        if (!alive || !box.current) return;
        const { L } = libs;
        const map = L.map(box.current, { zoomControl: true, minZoom: 3, maxZoom: 19 });
        map.attributionControl.addAttribution('Natural Earth');
        const objects = topo?.objects ?? {};
        const boundaries = libs.topojson.feature(topo, objects.countries ?? Object.values(objects)[0]);
        L.geoJSON(boundaries, {
          interactive: false,
          style: { color: '#7b8794', weight: 1, fillColor: '#f3f1ea', fillOpacity: 1 },
        }).addTo(map);
        const group = () => L.layerGroup().addTo(map);
        Object.assign(m.current, {
          libs,
          map,
          meters: group(),
          transformers: group(),
          outages: group(),
          workOrders: group(),
          cases: group(),
          recharge: group(),
          tiles: config.tileUrl
            ? L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.tileAttribution ?? '' })
            : null,
          seq: 0,
        });
        setTileUrl(config.tileUrl ?? null);
        if (m.current.tiles) m.current.tiles.addTo(map).bringToFront();
        if (config.bounds) {
          const [w, s, e, n] = config.bounds;
          map.fitBounds(
            [
              [s, w],
              [n, e],
            ],
            { padding: [24, 24], maxZoom: 17 },
          );
        } else map.setView(FALLBACK_CENTER, 12);
        map.on('moveend', () => {
          drawMeters();
          drawCases();
        });
        setReady(true);
      })
      .catch((e) => alive && setError(String(e.message)));
    return () => {
      alive = false;
      m.current.map?.remove();
      m.current = {};
    };
  }, []);

  /** The meters of the view: grid counts when many, else the points clustered here. */
  async function drawMeters() {
    const { map, libs, meters } = m.current;
    if (!map) return;
    const seq = ++m.current.seq;
    if (!layersRef.current.meters) {
      meters.clearLayers();
      setView(null);
      return;
    }
    const b = map.getBounds();
    const bbox = bboxParam({
      west: b.getWest(),
      south: b.getSouth(),
      east: b.getEast(),
      north: b.getNorth(),
    });
    const size = map.getSize();
    const cells = Math.max(2, Math.min(64, Math.round(Math.max(size.x, size.y) / CELL_PX)));
    try {
      const grid = await api(`/api/map/clusters?bbox=${bbox}&cells=${cells}`);
      let total = grid.features.reduce((n, /** @type {any} */ f) => n + f.properties.count, 0);
      /** @type {any[]} */
      let points = [];
      if (total <= POINT_LIMIT) {
        const fc = await api(`/api/map/meters?bbox=${bbox}&limit=${POINT_LIMIT + 1}`);
        points = fc.features.length <= POINT_LIMIT ? fc.features : [];
        for (const f of points) f.properties.colour = colourOf(f.properties.state, f.properties.flags);
        if (points.length || !fc.features.length) total = points.length;
      }
      if (seq !== m.current.seq) return; // a newer view is on its way
      const { L } = libs;
      meters.clearLayers();
      /** @type {Record<string, number>[]} */
      const counts = [];
      if (points.length || total === 0) {
        const index = new libs.Supercluster(CLUSTER_OPTIONS).load(points);
        const zoom = Math.round(map.getZoom());
        for (const f of index.getClusters(bbox.split(',').map(Number), zoom)) {
          const [lon, lat] = f.geometry.coordinates;
          const p = f.properties;
          if (p.cluster) {
            const c = clusterCounts(p);
            counts.push(c);
            L.marker([lat, lon], { icon: clusterIcon(L, p.point_count, worstState(c)), keyboard: true })
              .on('click', () => map.setView([lat, lon], index.getClusterExpansionZoom(p.cluster_id)))
              .addTo(meters);
          } else {
            counts.push({ [p.colour]: 1 });
            L.marker([lat, lon], { icon: meterIcon(L, p), title: `${p.id} · ${t(`map.state.${p.colour}`)}` })
              .on('click', () => (location.hash = meterHref(p.id)))
              .addTo(meters);
          }
        }
        setView({ total: points.length, byState: sumStates(counts), grid: false });
      } else {
        for (const f of grid.features) {
          const [lon, lat] = f.geometry.coordinates;
          counts.push(f.properties);
          L.marker([lat, lon], {
            icon: clusterIcon(L, f.properties.count, worstState(f.properties)),
            keyboard: true,
          })
            .on('click', () => map.setView([lat, lon], Math.min(map.getZoom() + 2, 19)))
            .addTo(meters);
        }
        setView({ total, byState: sumStates(counts), grid: true });
      }
    } catch (/** @type {any} */ e) {
      if (seq === m.current.seq) setError(String(e.message));
    }
  }

  /** Transformers, open outages, work orders and the recharge round: a handful of points each. */
  async function drawNetwork() {
    const { map, libs } = m.current;
    if (!map) return;
    const { L } = libs;
    const on = layersRef.current;
    try {
      const [tr, open] = await Promise.all([
        on.transformers || on.outages ? api('/api/map/transformers') : { transformers: [] },
        api('/api/outages?status=open'),
      ]);
      if (!m.current.map) return;
      setOutages(open.outages ?? []);
      m.current.transformers.clearLayers();
      m.current.outages.clearLayers();
      const where = new Map(tr.transformers.map((/** @type {any} */ x) => [x.id, x]));
      if (on.transformers) {
        for (const x of tr.transformers.filter((/** @type {any} */ x) => !x.outage)) {
          L.marker([x.lat, x.lon], {
            icon: tagIcon(L, 'mg-transformer'),
            title: t('map.transformerTitle', { id: x.id, meters: x.meters }),
            zIndexOffset: 500,
          }).addTo(m.current.transformers);
        }
      }
      if (on.outages) {
        for (const o of open.outages ?? []) {
          const x = /** @type {any} */ (where.get(o.transformer));
          if (!x) continue;
          L.marker([x.lat, x.lon], {
            icon: tagIcon(L, 'mg-transformer mg-outage', '!'),
            title: t('map.outageTitle', { transformer: o.transformer, meters: o.meters.length }),
            zIndexOffset: 1000,
          }).addTo(m.current.outages);
        }
      }
      m.current.workOrders.clearLayers();
      if (on.workOrders) {
        const wo = await api('/api/map/work-orders');
        for (const w of wo.workOrders) {
          // An installation asked for in the agency has no meter until the installer names it.
          const marker = L.marker([w.lat, w.lon], {
            icon: tagIcon(L, 'mg-workorder'),
            title: w.meter
              ? t('map.workOrderTitle', { id: w.id, kind: w.kind, meter: w.meter })
              : t('map.workOrderRequestTitle', {
                  id: w.id,
                  kind: w.kind,
                  trackingNumber: w.trackingNumber ?? '',
                }),
          });
          if (w.meter) marker.on('click', () => (location.hash = meterHref(w.meter)));
          marker.addTo(m.current.workOrders);
        }
      }
      m.current.recharge.clearLayers();
      if (on.recharge) {
        const round = await api('/api/recharge-rounds?days=3');
        const stops = round.meters ?? [];
        if (stops.length > 1) {
          L.polyline(
            stops.map((/** @type {any} */ s) => [s.lat, s.lon]),
            { color: '#e07b00', weight: 3, dashArray: '6 6', interactive: false },
          ).addTo(m.current.recharge);
        }
        for (const s of stops) {
          L.marker([s.lat, s.lon], { icon: tagIcon(L, 'mg-stop', String(s.seq)), title: s.meter })
            .on('click', () => (location.hash = meterHref(s.meter)))
            .addTo(m.current.recharge);
        }
      }
    } catch (/** @type {any} */ e) {
      setError(String(e.message));
    }
  }

  /** The agency's open claims (at the claimant's meter) and connection requests (at their place) in view. */
  async function drawCases() {
    const { map, libs, cases } = m.current;
    if (!map) return;
    if (!layersRef.current.cases) return cases.clearLayers();
    const b = map.getBounds();
    const bbox = bboxParam({
      west: b.getWest(),
      south: b.getSouth(),
      east: b.getEast(),
      north: b.getNorth(),
    });
    try {
      const fc = await api(`/api/map/cases?bbox=${bbox}`);
      if (!m.current.map) return;
      const { L } = libs;
      cases.clearLayers();
      for (const f of fc.features) {
        const [lon, lat] = f.geometry.coordinates;
        const p = f.properties;
        const claim = p.kind === 'claim';
        const marker = L.marker([lat, lon], {
          icon: tagIcon(L, `mg-case ${claim ? 'mg-claim' : 'mg-connection'}`, claim ? '' : '+'),
          title: claim
            ? t('map.claimTitle', { id: p.id, category: p.category, status: p.status })
            : t('map.connectionTitle', { id: p.id, address: p.address ?? '' }),
          zIndexOffset: 700,
        });
        if (p.meter) marker.on('click', () => (location.hash = meterHref(p.meter)));
        marker.addTo(cases);
      }
    } catch (/** @type {any} */ e) {
      setError(String(e.message));
    }
  }

  // Layers switched: redraw; and re-read colours and outages while the page stays open.
  useEffect(() => {
    if (!ready) return;
    const { map, tiles } = m.current;
    if (tiles) {
      if (layers.tiles && !map.hasLayer(tiles)) tiles.addTo(map);
      if (!layers.tiles && map.hasLayer(tiles)) map.removeLayer(tiles);
    }
    drawMeters();
    drawNetwork();
    drawCases();
    const timer = setInterval(() => {
      drawMeters();
      drawNetwork();
      drawCases();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [ready, layers]);

  /** @param {any} e */
  const search = (e) => {
    e.preventDefault();
    const text = q.trim();
    if (!text) return setResults(null);
    api(`/api/map/search?q=${encodeURIComponent(text)}`)
      .then((r) => {
        setResults(r.results);
        if (r.results.length === 1) focus(r.results[0]);
      })
      .catch((err) => setError(String(err.message)));
  };
  /** @param {{ lat: number, lon: number }} hit */
  const focus = (hit) => m.current.map?.setView([hit.lat, hit.lon], 18);

  /** @param {keyof Layers} key */
  const toggle = (key) => setLayers({ ...layers, [key]: !layers[key] });
  /** @type {[keyof Layers, string][]} */
  const layerNames = [
    ['meters', 'map.layer.meters'],
    ['transformers', 'map.layer.transformers'],
    ['outages', 'map.layer.outages'],
    ['workOrders', 'map.layer.workOrders'],
    ['cases', 'map.layer.cases'],
    ['recharge', 'map.layer.recharge'],
  ];
  if (tileUrl) layerNames.push(['tiles', 'map.layer.tiles']);

  return html`<section class="map-page">
    <h1>${t('map.title')}</h1>
    ${error && html`<p class="error" role="alert">${t('common.error', { message: error })}</p>`}
    <div class="map-tools">
      <form role="search" onSubmit=${search}>
        <label class="sr-only" for="map-q">${t('map.search')}</label>
        <input
          id="map-q"
          type="search"
          placeholder=${t('map.search')}
          value=${q}
          onInput=${(/** @type {any} */ e) => setQ(e.currentTarget.value)}
        />
        <button type="submit">${t('common.search')}</button>
      </form>
      <fieldset class="map-layers">
        <legend>${t('map.layers')}</legend>
        ${layerNames.map(
          ([key, label]) =>
            html`<label
              ><input
                type="checkbox"
                data-layer=${key}
                checked=${layers[key]}
                onChange=${() => toggle(key)}
              />
              ${t(label)}</label
            >`,
        )}
      </fieldset>
    </div>
    <div class="map-body">
      <div class="map-canvas" dir="ltr" ref=${box} data-testid="map" aria-label=${t('map.title')}></div>
      <aside class="map-side">
        ${
          results &&
          html`<div class="map-results" data-testid="map-results">
            <h2>${t('map.results')}</h2>
            ${results.length === 0 && html`<p>${t('common.none')}</p>`}
            <ul>
              ${results.map(
                (r) =>
                  html`<li>
                    <button type="button" onClick=${() => focus(r)}>${r.id}</button>
                    ${r.customer ? ` · ${r.customer}` : ''} ${r.address ? ` · ${r.address}` : ''} ·
                    <a href=${meterHref(r.id)}>${t('map.openMeter')}</a>
                  </li>`,
              )}
            </ul>
          </div>`
        }
        <div class="map-legend">
          <h2>${t('map.legend')}</h2>
          <p data-testid="map-total" data-total=${view?.total ?? ''}>
            ${
              view
                ? t(view.grid ? 'map.inViewGrid' : 'map.inView', { count: fmtNumber(view.total, 0) })
                : t('common.loading')
            }
          </p>
          <ul>
            ${MAP_STATES.map(
              (s) =>
                html`<li>
                  <span class=${`swatch mg-s-${s}`}></span>${t(`map.state.${s}`)}
                  <span class="n">${view ? fmtNumber(view.byState[s] ?? 0, 0) : ''}</span>
                </li>`,
            )}
          </ul>
        </div>
        <div class="map-outages" data-testid="map-outages">
          <h2>${t('map.outages')}</h2>
          ${outages.length === 0 && html`<p>${t('map.noOutage')}</p>`}
          <ul>
            ${outages.map(
              (o) =>
                html`<li data-outage=${o.id}>
                  ${t('map.outageLine', {
                    transformer: o.transformer,
                    meters: o.meters.length,
                    since: fmtDateTime(o.startedAt),
                  })}
                </li>`,
            )}
          </ul>
        </div>
      </aside>
    </div>
  </section>`;
}
