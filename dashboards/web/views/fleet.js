// @ts-check
/* global clearInterval, setInterval */
/**
 * Fleet view: meters online/offline, live total load, each meter's last reading, open alerts.
 * Live readings are merged into a Map and the table re-renders at most every 500 ms, so a busy
 * fleet costs two renders a second, not one per reading.
 */
import { useEffect, useMemo, useRef, useState } from '../vendor/preact-hooks.js';
import { paths, takePrefetched } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, fmtNumber, t } from '../lib/i18n.js';
import { onLiveReading, onLiveStatus } from '../lib/live.js';
import { ONLINE_WINDOW_MS, OBIS } from '../lib/obis.js';
import { AlertsPanel } from './alerts.js';

/** @typedef {{ id: string, lastReading: { ts: string, values: Record<string, number> } | null }} MeterRow */

const RENDER_EVERY_MS = 500;
const PAGE = 200;

export function FleetView() {
  const meters = useRef(/** @type {Map<string, MeterRow>} */ (new Map()));
  const [version, setVersion] = useState(0);
  const [error, setError] = useState('');
  const [loaded, setLoaded] = useState(false);
  const [filter, setFilter] = useState('');
  const [limit, setLimit] = useState(PAGE);
  const [live, setLive] = useState(false);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let dirty = false;
    const off = onLiveReading((r) => {
      const row = meters.current.get(r.meter);
      if (row?.lastReading && row.lastReading.ts > r.ts) return;
      meters.current.set(r.meter, { id: r.meter, lastReading: { ts: r.ts, values: r.values } });
      dirty = true;
    });
    const offStatus = onLiveStatus(setLive);
    const timer = setInterval(() => {
      if (dirty) {
        dirty = false;
        setVersion((v) => v + 1);
      }
    }, RENDER_EVERY_MS);
    const clock = setInterval(() => setNow(Date.now()), 15_000);
    takePrefetched(paths.meters)
      .then((/** @type {MeterRow[]} */ list) => {
        for (const m of list) {
          const cur = meters.current.get(m.id);
          if (!cur || (m.lastReading && (!cur.lastReading || cur.lastReading.ts < m.lastReading.ts)))
            meters.current.set(m.id, m);
        }
        setLoaded(true);
        setVersion((v) => v + 1);
      })
      .catch((e) => setError(String(e.message)));
    return () => {
      off();
      offStatus();
      clearInterval(timer);
      clearInterval(clock);
    };
  }, []);

  const stats = useMemo(() => {
    let online = 0;
    let load = 0;
    const rows = [];
    for (const m of meters.current.values()) {
      const ts = m.lastReading ? Date.parse(m.lastReading.ts) : NaN;
      const isOnline = Number.isFinite(ts) && now - ts < ONLINE_WINDOW_MS;
      if (isOnline) {
        online++;
        load += m.lastReading?.values[OBIS.powerImport] ?? 0;
      }
      rows.push({ m, isOnline });
    }
    rows.sort((a, b) => (a.m.id < b.m.id ? -1 : a.m.id > b.m.id ? 1 : 0));
    return { online, offline: rows.length - online, load, rows };
  }, [version, now]);

  const needle = filter.trim().toLowerCase();
  const shown = needle ? stats.rows.filter((r) => r.m.id.toLowerCase().includes(needle)) : stats.rows;

  return html`<section>
    <h1>${t('fleet.title')}</h1>
    <div class="tiles">
      <div class="tile" data-testid="online">
        <span class="k">${t('fleet.online')}</span><span class="v">${fmtNumber(stats.online, 0)}</span>
      </div>
      <div class="tile">
        <span class="k">${t('fleet.offline')}</span><span class="v">${fmtNumber(stats.offline, 0)}</span>
      </div>
      <div class="tile" data-testid="total-load">
        <span class="k">${t('fleet.load')}</span><span class="v">${fmtNumber(stats.load, 1)} kW</span>
      </div>
      <div class="tile">
        <span class="k">${t('fleet.stream')}</span>
        <span class=${`v badge ${live ? 'ok' : 'warn'}`}
          >${live ? t('fleet.live') : t('fleet.reconnecting')}</span
        >
      </div>
    </div>
    ${error && html`<p class="error" role="alert">${t('common.error', { message: error })}</p>`}
    <div class="cols">
      <div class="grow">
        <h2>${t('fleet.meters')}</h2>
        <label for="meter-filter">${t('fleet.filter')}</label>
        <input
          id="meter-filter"
          type="search"
          value=${filter}
          onInput=${(/** @type {any} */ e) => setFilter(e.currentTarget.value)}
        />
        ${!loaded && !error && html`<p aria-busy="true">${t('common.loading')}</p>`}
        <table class="data" data-testid="fleet-table">
          <caption class="sr-only">
            ${t('fleet.meters')}
          </caption>
          <thead>
            <tr>
              <th scope="col">${t('fleet.meter')}</th>
              <th scope="col">${t('fleet.status')}</th>
              <th scope="col">${t('fleet.lastSeen')}</th>
              <th scope="col" class="num">${t('fleet.power')}</th>
              <th scope="col" class="num">${t('fleet.voltage')}</th>
              <th scope="col" class="num">${t('fleet.energy')}</th>
            </tr>
          </thead>
          <tbody>
            ${shown.slice(0, limit).map(({ m, isOnline }) => {
              const v = m.lastReading?.values ?? {};
              return html`<tr key=${m.id} data-meter=${m.id}>
                <th scope="row"><a href=${`#/meter/${encodeURIComponent(m.id)}`}>${m.id}</a></th>
                <td>
                  <span class=${`badge ${isOnline ? 'ok' : 'off'}`}
                    >${isOnline ? t('fleet.isOnline') : t('fleet.isOffline')}</span
                  >
                </td>
                <td>${fmtDateTime(m.lastReading?.ts)}</td>
                <td class="num">${fmtNumber(v[OBIS.powerImport], 3)}</td>
                <td class="num">${fmtNumber(v[OBIS.voltageL1], 1)}</td>
                <td class="num">${fmtNumber(v[OBIS.energyImport], 2)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
        ${
          shown.length > limit &&
          html`<button type="button" onClick=${() => setLimit(limit + PAGE)}>
            ${t('fleet.more', { n: shown.length - limit })}
          </button>`
        }
      </div>
      <aside class="side"><${AlertsPanel} /></aside>
    </div>
  </section>`;
}
