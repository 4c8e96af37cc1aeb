// @ts-check
/* global clearTimeout, setTimeout */
/**
 * The meter's supply relay for operators (issue 20 §3): its state as the last relay command left it,
 * open / close with a confirmation step and a reason (audited), and the commands sent to the meter
 * with the edge's outcome. A command is followed until the edge answers (done, failed, expired,
 * rejected). Customers never see it: the routes are operator-only.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, t } from '../lib/i18n.js';

const FOLLOW_MS = 1000;
const FOLLOW_MAX = 120;
const OPEN_STATES = new Set(['pending', 'sent']);

/** @param {{ meterId: string }} props */
export function RelayPanel({ meterId }) {
  const [data, setData] = useState(/** @type {{ relay?: string, commands: any[] }|null} */ (null));
  const [asking, setAsking] = useState(/** @type {'open'|'close'|null} */ (null));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [follow, setFollow] = useState(0);
  const base = `/api/meters/${encodeURIComponent(meterId)}`;

  useEffect(() => {
    let alive = true;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    let timer;
    let polls = 0;
    const load = () =>
      api(`${base}/commands?limit=10`)
        .then((r) => {
          if (!alive) return;
          setData(r);
          const waiting = r.commands.some((/** @type {any} */ c) => OPEN_STATES.has(c.status));
          if (waiting && ++polls < FOLLOW_MAX) timer = setTimeout(load, FOLLOW_MS);
        })
        .catch((e) => alive && setError(String(e.message)));
    load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [meterId, follow]);

  const send = () => {
    if (!asking) return;
    setBusy(true);
    setError('');
    api(`${base}/relay`, {
      method: 'POST',
      body: { state: asking, ...(reason.trim() ? { reason: reason.trim().slice(0, 200) } : {}) },
    })
      .then(() => {
        setAsking(null);
        setReason('');
        setFollow((n) => n + 1);
      })
      .catch((e) => setError(String(e.message)))
      .finally(() => setBusy(false));
  };

  const state = data?.relay;
  return html`<section aria-labelledby="relay-h" data-testid="relay">
    <h2 id="relay-h">${t('relay.title')}</h2>
    ${error && html`<p class="error" role="alert">${t('common.error', { message: error })}</p>`}
    <p>
      ${t('relay.state')}:
      <strong data-testid="relay-state" data-state=${state ?? 'unknown'}
        >${t(state ? `relay.${state}` : 'relay.unknown')}</strong
      >
    </p>
    ${
      asking
        ? html`<div class="confirm" role="group" aria-labelledby="relay-q" data-testid="relay-confirm">
            <p id="relay-q">
              ${t(asking === 'open' ? 'relay.confirmOpen' : 'relay.confirmClose', { meter: meterId })}
            </p>
            <label
              >${t('relay.reason')}
              <input
                data-testid="relay-reason"
                maxlength="200"
                value=${reason}
                onInput=${(/** @type {any} */ e) => setReason(e.currentTarget.value)}
            /></label>
            <button type="button" data-testid="relay-confirm-yes" disabled=${busy} onClick=${send}>
              ${t('relay.confirm')}
            </button>
            <button type="button" data-testid="relay-confirm-no" onClick=${() => setAsking(null)}>
              ${t('relay.cancel')}
            </button>
          </div>`
        : html`<p>
            <button type="button" data-testid="relay-open" onClick=${() => setAsking('open')}>
              ${t('relay.open')}
            </button>
            <button type="button" data-testid="relay-close" onClick=${() => setAsking('close')}>
              ${t('relay.close')}
            </button>
          </p>`
    }
    <h3>${t('relay.history')}</h3>
    ${data && !data.commands.length && html`<p class="muted">${t('relay.none')}</p>`}
    ${
      data &&
      data.commands.length > 0 &&
      html`<ul data-testid="relay-commands">
        ${data.commands.map(
          (c) =>
            html`<li key=${c.id} data-status=${c.status}>
              ${fmtDateTime(c.createdAt)} — ${c.command}${c.action ? ` ${c.action}` : ''}
              ${c.field ? ` ${c.field}=${c.value}` : ''} — ${t('relay.status', { status: c.status })}
              ${c.reason ? html` <small>(${c.reason})</small>` : ''}
              ${c.detail ? html` <small class="muted">${c.detail}</small>` : ''}
            </li>`,
        )}
      </ul>`
    }
  </section>`;
}
