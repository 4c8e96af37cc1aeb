// @ts-check
/* global URLSearchParams */
/**
 * Anomaly alerts (analytics) with their evidence in plain words. Fleet: open anomalies of every
 * meter (operators); meter view: the meter's anomalies (operators and the meter's customer).
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDay, fmtNumber, t } from '../lib/i18n.js';

/**
 * @typedef {{ id: number, meterId: string, obis?: string, kind: string, status: string,
 *   firstDay?: string, lastDay?: string, day?: string, evidence?: Record<string, any> }} Anomaly
 */

/** @param {{ meterId?: string, limit?: number, canAck?: boolean }} props */
export function AlertsPanel({ meterId, limit = 20, canAck = true }) {
  const [items, setItems] = useState(/** @type {Anomaly[]|null} */ (null));
  const [error, setError] = useState('');

  const load = () => {
    const path = meterId
      ? `/api/meters/${encodeURIComponent(meterId)}/anomalies`
      : `/api/anomalies?${new URLSearchParams({ status: 'open', limit: String(limit) })}`;
    api(path)
      .then((r) => setItems(Array.isArray(r) ? r : (r?.items ?? r?.anomalies ?? [])))
      .catch((e) =>
        setError(e.status === 404 || e.status === 403 ? t('alerts.unavailable') : String(e.message)),
      );
  };
  useEffect(load, [meterId]);

  /** @param {Anomaly} a */
  async function ack(a) {
    try {
      await api(`/api/anomalies/${encodeURIComponent(String(a.id))}`, {
        method: 'PATCH',
        body: { status: 'acknowledged' },
      });
      load();
    } catch (e) {
      setError(String(/** @type {any} */ (e).message));
    }
  }

  return html`<section aria-labelledby=${meterId ? 'alerts-m' : 'alerts-f'} data-testid="alerts">
    <h2 id=${meterId ? 'alerts-m' : 'alerts-f'}>${t('alerts.title')}</h2>
    ${error && html`<p class="muted">${error}</p>`}
    ${items && !items.length && html`<p class="muted">${t('alerts.none')}</p>`}
    <ul class="alerts">
      ${(items ?? []).map(
        (a) =>
          html`<li key=${a.id} class="alert" data-kind=${a.kind}>
            <strong>${t(`anomaly.${a.kind}`)}</strong>
            ${!meterId && html` — <a href=${`#/meter/${encodeURIComponent(a.meterId)}`}>${a.meterId}</a>`}
            <div class="muted">${period(a)} · ${t(`alerts.status.${a.status}`)}</div>
            <${Evidence} evidence=${a.evidence} />
            ${canAck && a.status === 'open' && html`<button type="button" class="small" onClick=${() => ack(a)}>${t('alerts.ack')}</button>`}
          </li>`,
      )}
    </ul>
  </section>`;
}

/** @param {Anomaly} a */
function period(a) {
  const first = a.firstDay ?? a.day;
  const last = a.lastDay ?? a.day;
  if (!first) return '';
  return first === last || !last
    ? fmtDay(first)
    : t('alerts.period', { from: fmtDay(first), to: fmtDay(last) });
}

/** @param {any} v */
function value(v) {
  if (typeof v === 'number') return fmtNumber(v, 2);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return fmtDay(v);
  return String(v);
}

/**
 * Evidence as a definition list. Window comparisons (high consumption) read as a sentence:
 * "from … to …: A kWh against B kWh the same weekdays last year (×ratio)".
 * @param {{ evidence?: Record<string, any> }} props
 */
export function Evidence({ evidence }) {
  if (!evidence || typeof evidence !== 'object') return null;
  /** @type {any[]} */
  const windows = Array.isArray(evidence.windows) ? evidence.windows : [];
  const scalars = Object.entries(evidence).filter(([, v]) => v !== null && typeof v !== 'object');
  return html`<div class="evidence-block">
    ${windows.map(
      (w) =>
        html`<p class="evidence-line">
          ${t('evidence.window', {
            from: fmtDay(w.current.from),
            to: fmtDay(w.current.to),
            current: fmtNumber(w.current.total, 1),
            reference: fmtNumber(w.reference.total, 1),
            basis: t(`evidence.basis.${w.basis}`),
            ratio: w.ratio === null || w.ratio === undefined ? '—' : fmtNumber(w.ratio, 2),
          })}
        </p>`,
    )}
    ${
      scalars.length > 0 &&
      html`<dl class="evidence">
        ${scalars.map(
          ([k, v]) =>
            html`<dt>${t(`evidence.${k}`)}</dt>
              <dd>${k === 'comparedWith' ? t(`evidence.basis.${v}`) : value(v)}</dd>`,
        )}
      </dl>`
    }
  </div>`;
}
