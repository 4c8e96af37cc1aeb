// @ts-check
/** The customer's statement: purchases (with their token), advances and recoveries, and the balance. */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, fmtMoney, fmtNumber, t } from '../lib/i18n.js';

/** @param {{ customerId: string }} props */
export function StatementPanel({ customerId }) {
  const [st, setSt] = useState(/** @type {any} */ (null));
  const [error, setError] = useState('');
  useEffect(() => {
    setSt(null);
    setError('');
    api(`/api/customers/${encodeURIComponent(customerId)}/statement`)
      .then(setSt)
      .catch((e) => setError(String(e.message)));
  }, [customerId]);

  /** @type {{ at: string, kind: string, meterId?: string, money?: number, units?: number, token?: string|null }[]} */
  const lines = [];
  if (st) {
    for (const p of st.purchases ?? [])
      lines.push({
        at: p.at,
        kind: 'purchase',
        meterId: p.meterId,
        money: p.money,
        units: p.units,
        token: p.token,
      });
    for (const a of st.advances ?? [])
      lines.push({ at: a.at, kind: 'advance', meterId: a.meterId, money: a.value, units: a.units });
    for (const r of st.recoveries ?? []) lines.push({ at: r.at, kind: 'recovery', money: r.amount });
    lines.sort((a, b) => (a.at < b.at ? 1 : -1));
  }
  const b = st?.balance;
  return html`<section aria-labelledby="st-h">
    <h2 id="st-h">${t('customer.statement')}</h2>
    ${error && html`<p class="muted">${error}</p>`}
    ${
      b &&
      html`<div class="tiles">
        <div class="tile">
          <span class="k">${t('statement.purchased')}</span><span class="v">${fmtMoney(b.purchased)}</span>
        </div>
        <div class="tile">
          <span class="k">${t('statement.advanced')}</span
          ><span class="v">${fmtNumber(b.unitsAdvanced, 1)} kWh</span>
        </div>
        <div class="tile">
          <span class="k">${t('statement.debt')}</span><span class="v">${fmtMoney(b.debt)}</span>
        </div>
      </div>`
    }
    ${
      st &&
      html`<table class="data" data-testid="statement">
        <caption>
          ${t('customer.purchases')}
        </caption>
        <thead>
          <tr>
            <th scope="col">${t('common.date')}</th>
            <th scope="col">${t('customer.type')}</th>
            <th scope="col">${t('common.meter')}</th>
            <th scope="col" class="num">${t('common.amount')}</th>
            <th scope="col" class="num">kWh</th>
            <th scope="col">${t('prepaid.token')}</th>
          </tr>
        </thead>
        <tbody>
          ${
            lines.length === 0 &&
            html`<tr>
              <td colspan="6">${t('common.none')}</td>
            </tr>`
          }
          ${lines.map(
            (l) =>
              html`<tr>
                <td>${fmtDateTime(l.at)}</td>
                <td>${t(`statement.${l.kind}`)}</td>
                <td>${l.meterId ?? ''}</td>
                <td class="num">${l.money === undefined ? '' : fmtMoney(l.money)}</td>
                <td class="num">${l.units === undefined ? '' : fmtNumber(l.units, 1)}</td>
                <td class="mono">${formatToken(l.token)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>`;
}

/** 20 digits in groups of four, as printed on receipts and typed on keypads. @param {string|null|undefined} token */
export function formatToken(token) {
  return token ? token.replace(/(\d{4})(?=\d)/g, '$1 ') : '';
}
