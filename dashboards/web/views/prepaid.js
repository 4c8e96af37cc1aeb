// @ts-check
/**
 * Prepaid credit (reported by the meter in its state/events on the live stream) and the token
 * history of the meter from the ledger, with each token's delivery status.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, fmtMoney, fmtNumber, t } from '../lib/i18n.js';
import { onLiveEvent } from '../lib/live.js';
import { listOf } from '../lib/series.js';
import { formatToken } from './statement.js';

/** @param {string} meterId */
export const tokensPath = (meterId) => `/api/meters/${encodeURIComponent(meterId)}/tokens`;

/**
 * Shown only for prepaid meters: the token history says `prepaid: false` for a postpaid meter (the
 * ledger registers only STS meters), and the panel stays out of the page, as it does until the answer.
 * @param {{ meterId: string }} props
 */
export function PrepaidPanel({ meterId }) {
  const [credit, setCredit] = useState(/** @type {number|null} */ (null));
  const [tokens, setTokens] = useState(/** @type {any[]|null} */ (null));
  const [kind, setKind] = useState(/** @type {'loading'|'prepaid'|'postpaid'} */ ('loading'));
  const [error, setError] = useState('');

  useEffect(() => {
    let alive = true;
    const load = () =>
      api(tokensPath(meterId))
        .then((r) => {
          if (!alive) return;
          if (r && r.prepaid === false) return setKind('postpaid');
          setKind('prepaid');
          setTokens(r && Array.isArray(r.tokens) ? r.tokens : listOf(r));
          if (r && typeof r.credit === 'number') setCredit(r.credit);
        })
        .catch((e) => {
          if (!alive) return;
          if (e.status === 404) setKind('postpaid');
          else {
            setKind('prepaid');
            setError(e.status === 403 ? t('prepaid.unavailable') : String(e.message));
          }
        });
    const off = onLiveEvent((_type, data) => {
      if (!data || (data.meter ?? data.meterId) !== meterId) return;
      if (typeof data.credit === 'number') setCredit(data.credit);
      // A token accepted or rejected by the meter changes its status in the history.
      if (typeof data.kind === 'string' && data.kind.startsWith('token.')) void load();
    }, meterId);
    void load();
    return () => {
      alive = false;
      off();
    };
  }, [meterId]);

  if (kind !== 'prepaid') return null;
  return html`<section aria-labelledby="pp-h">
    <h2 id="pp-h">${t('prepaid.title')}</h2>
    <div class="tile" data-testid="credit">
      <span class="k">${t('prepaid.credit')}</span
      ><span class="v">${credit === null ? '—' : `${fmtNumber(credit, 1)} kWh`}</span>
    </div>
    <h3>${t('prepaid.tokens')}</h3>
    ${error && html`<p class="muted">${error}</p>`}
    ${tokens && !tokens.length && html`<p class="muted">${t('prepaid.none')}</p>`}
    ${
      tokens &&
      tokens.length > 0 &&
      html`<table class="data">
        <thead>
          <tr>
            <th scope="col">${t('common.date')}</th>
            <th scope="col">${t('prepaid.kind')}</th>
            <th scope="col" class="num">${t('prepaid.units')}</th>
            <th scope="col" class="num">${t('common.amount')}</th>
            <th scope="col">${t('prepaid.token')}</th>
            <th scope="col">${t('prepaid.status')}</th>
          </tr>
        </thead>
        <tbody>
          ${tokens.map(
            (x) =>
              html`<tr>
                <td>${fmtDateTime(x.at ?? x.issuedAt ?? x.createdAt)}</td>
                <td>${t(`statement.${x.kind === 'purchase' || x.kind === 'advance' ? x.kind : 'other'}`)}</td>
                <td class="num">${fmtNumber(x.units, 1)}</td>
                <td class="num">${x.money === undefined ? '' : fmtMoney(x.money)}</td>
                <td class="mono">${formatToken(x.digits ?? x.token)}</td>
                <td>${x.status ? t(`prepaid.status.${x.status}`) : ''}${x.reason ? ` (${x.reason})` : ''}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>`;
}
