// @ts-check
/* global URLSearchParams */
/** Open anomaly alerts (analytics), newest first, with their evidence in plain words. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDay, fmtNumber, t } from '../lib/i18n.js';

/** @typedef {{ id: string|number, meterId: string, obis?: string, kind: string, day: string, status: string, evidence?: Record<string, any> }} Anomaly */

/** @param {{ meterId?: string, limit?: number }} props */
export function AlertsPanel({ meterId, limit = 20 }) {
  const [items, setItems] = useState(/** @type {Anomaly[]|null} */ (null));
  const [error, setError] = useState('');

  const load = () => {
    const q = new URLSearchParams({ status: 'open', limit: String(limit) });
    if (meterId) q.set('meterId', meterId);
    api(`/api/anomalies?${q}`)
      .then((r) => setItems(Array.isArray(r) ? r : (r?.items ?? r?.anomalies ?? [])))
      .catch((e) =>
        setError(e.status === 404 || e.status === 403 ? t('alerts.unavailable') : String(e.message)),
      );
  };
  useEffect(load, [meterId]);

  /** @param {Anomaly} a */
  async function ack(a) {
    try {
      await api(`/api/anomalies/${encodeURIComponent(String(a.id))}/ack`, { method: 'POST', body: {} });
      load();
    } catch (e) {
      setError(String(/** @type {any} */ (e).message));
    }
  }

  return html`<section aria-labelledby="alerts-h">
    <h2 id="alerts-h">${t('alerts.title')}</h2>
    ${error && html`<p class="muted">${error}</p>`}
    ${items && !items.length && html`<p class="muted">${t('alerts.none')}</p>`}
    <ul class="alerts">
      ${(items ?? []).map(
        (a) =>
          html`<li key=${a.id} class="alert">
            <strong>${t(`anomaly.${a.kind}`)}</strong>
            ${!meterId && html` — <a href=${`#/meter/${encodeURIComponent(a.meterId)}`}>${a.meterId}</a>`}
            <div class="muted">${fmtDay(a.day)}</div>
            <${Evidence} evidence=${a.evidence} />
            <button type="button" class="small" onClick=${() => ack(a)}>${t('alerts.ack')}</button>
          </li>`,
      )}
    </ul>
  </section>`;
}

/** Evidence as a definition list; numbers localised. @param {{ evidence?: Record<string, any> }} props */
export function Evidence({ evidence }) {
  if (!evidence || typeof evidence !== 'object') return null;
  const entries = Object.entries(evidence).filter(([, v]) => v === null || typeof v !== 'object');
  const nested = Object.entries(evidence).filter(([, v]) => v && typeof v === 'object' && !Array.isArray(v));
  return html`<dl class="evidence">
    ${entries.map(
      ([k, v]) =>
        html`<dt>${t(`evidence.${k}`)}</dt>
          <dd>${typeof v === 'number' ? fmtNumber(v, 2) : String(v)}</dd>`,
    )}
    ${nested.map(
      ([k, v]) =>
        html`<dt>${t(`evidence.${k}`)}</dt>
          <dd>
            ${Object.entries(v)
              .filter(([, x]) => typeof x !== 'object')
              .map(
                ([kk, x]) => `${t(`evidence.${kk}`)}: ${typeof x === 'number' ? fmtNumber(x, 2) : String(x)}`,
              )
              .join(' · ')}
          </dd>`,
    )}
  </dl>`;
}
