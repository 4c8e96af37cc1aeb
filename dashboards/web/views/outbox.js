// @ts-check
/* global URLSearchParams */
/**
 * Operators' outbox: every SMS, e-mail and webhook the gateway sent or tried, newest first, with
 * the text as the recipient read it and its delivery status; filter by recipient. A failed
 * message shows why (from `GET /api/outbox/:id`).
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, t } from '../lib/i18n.js';

/** @typedef {{ id: string, channel: string, to: string, template: string, text: string, status: string, createdAt: string }} OutboxMessage */

export function OutboxView() {
  const [to, setTo] = useState('');
  const [applied, setApplied] = useState('');
  const [messages, setMessages] = useState(/** @type {OutboxMessage[]|null} */ (null));
  const [reasons, setReasons] = useState(/** @type {Record<string, string>} */ ({}));
  const [error, setError] = useState('');

  useEffect(() => {
    let alive = true;
    setMessages(null);
    const q = new URLSearchParams({ limit: '200', ...(applied ? { to: applied } : {}) });
    api(`/api/outbox?${q}`)
      .then((r) => {
        if (!alive) return;
        /** @type {OutboxMessage[]} */
        const list = Array.isArray(r?.messages) ? r.messages : [];
        setMessages(list);
        for (const m of list.filter((x) => x.status === 'failed')) {
          api(`/api/outbox/${encodeURIComponent(m.id)}`)
            .then((d) => alive && setReasons((cur) => ({ ...cur, [m.id]: String(d?.reason ?? '') })))
            .catch(() => undefined);
        }
      })
      .catch((e) => alive && setError(String(e.message)));
    return () => {
      alive = false;
    };
  }, [applied]);

  return html`<section>
    <h1>${t('outbox.title')}</h1>
    ${error && html`<p class="error" role="alert">${t('common.error', { message: error })}</p>`}
    <form
      class="row"
      onSubmit=${(/** @type {any} */ e) => {
        e.preventDefault();
        setApplied(to.trim());
      }}
    >
      <label for="outbox-to">${t('outbox.to')}</label>
      <input
        id="outbox-to"
        type="search"
        value=${to}
        onInput=${(/** @type {any} */ e) => setTo(e.currentTarget.value)}
      />
      <button type="submit">${t('outbox.filter')}</button>
    </form>
    ${messages === null && !error && html`<p aria-busy="true">${t('common.loading')}</p>`}
    ${messages && !messages.length && html`<p class="muted">${t('outbox.none')}</p>`}
    ${
      messages &&
      messages.length > 0 &&
      html`<table class="data" data-testid="outbox-table">
        <thead>
          <tr>
            <th scope="col">${t('outbox.createdAt')}</th>
            <th scope="col">${t('outbox.channel')}</th>
            <th scope="col">${t('outbox.to')}</th>
            <th scope="col">${t('outbox.template')}</th>
            <th scope="col">${t('outbox.text')}</th>
            <th scope="col">${t('outbox.status')}</th>
          </tr>
        </thead>
        <tbody>
          ${messages.map(
            (m) =>
              html`<tr key=${m.id} data-status=${m.status}>
                <td>${fmtDateTime(m.createdAt)}</td>
                <td>${t(`outbox.channel.${m.channel}`)}</td>
                <td class="mono" dir="ltr">${m.to}</td>
                <td class="mono">${m.template}</td>
                <td class="message-text">${m.text}</td>
                <td>
                  ${t(`outbox.status.${m.status}`)}
                  ${reasons[m.id] && html`<br /><small>${t('outbox.reason')} : ${reasons[m.id]}</small>`}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>`;
}
