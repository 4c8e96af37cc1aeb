// @ts-check
/**
 * OpenPAYGO devices in the vending console: ADD_TIME is an ordinary sale of days (`POST /api/vend`
 * with the days as units); SET_TIME, DISABLE_PAYG and COUNTER_SYNC are the device's commands
 * (`POST /api/payg-devices/:id/tokens`). The gateway decides who may give what (a free unlock or a
 * lock is an operator's decision); the form only asks for what each type carries.
 */
import { useState } from '../vendor/preact-hooks.js';
import { html } from '../lib/html.js';
import { fmtMoney, t } from '../lib/i18n.js';

export const PAYG_TOKEN_TYPES = /** @type {const} */ ([
  'ADD_TIME',
  'SET_TIME',
  'DISABLE_PAYG',
  'COUNTER_SYNC',
]);

/** @param {string} id */
export const paygTokensPath = (id) => `/api/payg-devices/${encodeURIComponent(id)}/tokens`;

/**
 * An OpenPAYGO token as people read and key it: groups of three digits (9 for the standard token,
 * more for the extended one), as the keypads of solar home systems print them.
 * @param {string} token
 */
export function formatPaygToken(token) {
  return token ? token.replace(/(\d{3})(?=\d)/g, '$1 ') : '';
}

/**
 * The request for one token: where it goes and its body (without the requestId, added per click).
 * @param {string} deviceId @param {string} type @param {number} days @param {number|null} price
 * @returns {{ path: string, body: Record<string, unknown> }}
 */
export function paygRequest(deviceId, type, days, price) {
  if (type === 'ADD_TIME') return { path: '/api/vend', body: { meterId: deviceId, units: days } };
  return {
    path: paygTokensPath(deviceId),
    body: {
      type,
      ...(type === 'SET_TIME' ? { days } : {}),
      ...(type === 'DISABLE_PAYG' && price !== null && price > 0 ? { amount: price } : {}),
    },
  };
}

/**
 * @param {{ device: { id: string, openPaygo?: { pricePerDay?: number, count?: number } }, busy: boolean,
 *   onIssue: (path: string, body: Record<string, unknown>, title: string) => void }} props
 */
export function PaygTokenForm({ device, busy, onIssue }) {
  const [type, setType] = useState('ADD_TIME');
  const [days, setDays] = useState('');
  const [price, setPrice] = useState('');
  const perDay = Number(device.openPaygo?.pricePerDay ?? 0);
  const withDays = type === 'ADD_TIME' || type === 'SET_TIME';
  const n = Number(days.trim());
  // ADD_TIME sells at least a day; SET_TIME 0 locks the device (an operator's command).
  const daysOk = /^\d+$/.test(days.trim()) && (type === 'SET_TIME' ? n >= 0 : n > 0);
  const p = price.trim() === '' ? null : Number(price.replace(',', '.'));
  const priceOk = p === null || (Number.isFinite(p) && p >= 0);
  const ready = withDays ? daysOk : type === 'DISABLE_PAYG' ? priceOk : true;
  return html`<fieldset data-testid="payg">
    <legend>${t('payg.title')}</legend>
    <p class="muted">${t('payg.pricePerDay', { price: fmtMoney(perDay) })}</p>
    <label for="payg-type">${t('payg.type')}</label>
    <select id="payg-type" value=${type} onChange=${(/** @type {any} */ e) => setType(e.currentTarget.value)}>
      ${PAYG_TOKEN_TYPES.map((k) => html`<option value=${k}>${t(`payg.type.${k}`)}</option>`)}
    </select>
    <p class="muted" data-testid="payg-hint">${t(`payg.hint.${type}`)}</p>
    ${
      withDays &&
      html`<label for="payg-days">${t('payg.days')}</label>
        <input
          id="payg-days"
          inputmode="numeric"
          value=${days}
          onInput=${(/** @type {any} */ e) => setDays(e.currentTarget.value)}
        />
        ${daysOk && html`<p data-testid="payg-price">${t('payg.cost', { amount: fmtMoney(n * perDay) })}</p>`}`
    }
    ${
      type === 'DISABLE_PAYG' &&
      html`<label for="payg-amount">${t('payg.unlockPrice')}</label>
        <input
          id="payg-amount"
          inputmode="decimal"
          value=${price}
          onInput=${(/** @type {any} */ e) => setPrice(e.currentTarget.value)}
        />`
    }
    <button
      type="button"
      disabled=${busy || !ready}
      data-testid="payg-issue"
      onClick=${() => {
        const r = paygRequest(device.id, type, n, p);
        onIssue(r.path, r.body, t(`payg.type.${type}`));
      }}
    >
      ${t('payg.issue')}
    </button>
  </fieldset>`;
}
