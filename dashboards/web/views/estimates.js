// @ts-check
/**
 * A meter's estimated billing periods and their regularisations (the daily estimation job's
 * results), for the engineer's meter view and the customer's view. Quantities in kWh; an instalment
 * offer is shown as the server computed it.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDay, fmtNumber, t } from '../lib/i18n.js';

/** @param {{ meterId: string }} props */
export function EstimatesPanel({ meterId }) {
  const [rows, setRows] = useState(/** @type {any[]|null} */ (null));
  const [error, setError] = useState('');

  useEffect(() => {
    let alive = true;
    const id = encodeURIComponent(meterId);
    Promise.all([api(`/api/meters/${id}/estimates`), api(`/api/meters/${id}/regularisations`)])
      .then(([estimates, regularisations]) => {
        if (!alive) return;
        const list = [
          ...(Array.isArray(estimates) ? estimates : []).map((e) => ({ kind: 'estimate', ...e })),
          ...(Array.isArray(regularisations) ? regularisations : []).map((r) => ({
            kind: 'regularisation',
            ...r,
          })),
        ].sort((a, b) => String(b.periodTo).localeCompare(String(a.periodTo)));
        setRows(list);
      })
      .catch((e) => alive && setError(e.status === 404 ? '' : String(e.message)));
    return () => {
      alive = false;
    };
  }, [meterId]);

  return html`<section aria-labelledby="est-h" data-testid="estimates">
    <h2 id="est-h">${t('estimates.title')}</h2>
    ${error && html`<p class="error" role="alert">${t('common.error', { message: error })}</p>`}
    ${rows && !rows.length && html`<p class="muted">${t('estimates.none')}</p>`}
    ${
      rows &&
      rows.length > 0 &&
      html`<table class="data">
        <thead>
          <tr>
            <th scope="col">${t('estimates.kind')}</th>
            <th scope="col">${t('estimates.period')}</th>
            <th scope="col" class="num">${t('estimates.estimated')}</th>
            <th scope="col" class="num">${t('estimates.actual')}</th>
            <th scope="col" class="num">${t('estimates.difference')}</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr key=${`${r.kind}-${r.id}`}>
                <td>${t(`estimates.kind.${r.kind}`)}</td>
                <td>${t('alerts.period', { from: fmtDay(r.periodFrom), to: fmtDay(r.periodTo) })}</td>
                <td class="num">${fmtNumber(r.kind === 'estimate' ? r.estimated : r.billed, 1)}</td>
                <td class="num">${r.kind === 'regularisation' ? fmtNumber(r.actual, 1) : '—'}</td>
                <td class="num">
                  ${r.kind === 'regularisation' ? fmtNumber(r.difference, 1) : '—'}
                  ${
                    r.instalmentMonths &&
                    html`<br /><small
                        >${t('estimates.instalments', {
                          n: r.instalmentMonths,
                          amount: `${fmtNumber(r.instalmentAmount, 1)} kWh`,
                        })}</small
                      >`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>`;
}
