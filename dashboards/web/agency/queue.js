// @ts-check
/* global document, sessionStorage, fetch, URLSearchParams */
/**
 * The operators' queue of claims and requests (GET /api/agency/queue with an operator API key, kept
 * for this tab only): filters by kind, status and overdue, each case's history, thread and files,
 * moving it forward (the customer gets an SMS) and answering in the thread.
 */
import { formValues, h, messageBox, row, say, select } from './dom.js';
import { LANGS, applyLang, getLang, setLang, t, table } from './i18n.js';

const KEY = 'metergate.agency.operatorKey';
const main = /** @type {HTMLElement} */ (document.getElementById('main'));

async function call(/** @type {string} */ method, /** @type {string} */ url, /** @type {any} */ body) {
  const res = await fetch(url, {
    method,
    headers: {
      'x-api-key': sessionStorage.getItem(KEY) ?? '',
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { ok: res.ok, status: res.status, data: await res.json().catch(() => null) };
}

function langs() {
  /** @type {HTMLElement} */ (document.getElementById('brand')).textContent = t('queue');
  /** @type {HTMLElement} */ (document.getElementById('langs')).replaceChildren(
    ...LANGS.map((l) =>
      h('button', {
        type: 'button',
        lang: l,
        'aria-pressed': String(getLang() === l),
        text: { fr: 'Français', ar: 'العربية', en: 'English' }[l],
        onclick: () => {
          setLang(l);
          void render();
        },
      }),
    ),
  );
}

function keyView() {
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          sessionStorage.setItem(KEY, formValues(form).key ?? '');
          void render();
        },
      },
      row('key', t('operatorKey'), h('input', { type: 'password', autocomplete: 'off', required: true })),
      h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: t('login') })),
    )
  );
  main.replaceChildren(h('h1', { text: t('queue') }), form);
}

/** @param {Record<string, string>} filters */
async function listView(filters = {}) {
  const box = messageBox();
  const q = new URLSearchParams(filters);
  const r = await call('GET', `/api/agency/queue?${q}`);
  if (r.status === 401 || r.status === 403) {
    sessionStorage.removeItem(KEY);
    return keyView();
  }
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card filters',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          void listView(formValues(form));
        },
      },
      row(
        'kind',
        t('kind'),
        select([
          ['', t('all')],
          ['claim', t('claims')],
          ['request', t('requests')],
        ]),
      ),
      row(
        'status',
        t('colStatus'),
        select([
          ['', t('all')],
          ...Object.entries(table('status')).filter(([k]) =>
            ['submitted', 'acknowledged', 'in-progress', 'resolved', 'rejected'].includes(k),
          ),
        ]),
      ),
      row(
        'overdue',
        t('overdue'),
        select([
          ['', t('all')],
          ['true', t('overdue')],
        ]),
      ),
      h('div', { class: 'actions' }, h('button', { class: 'secondary', type: 'submit', text: t('filter') })),
    )
  );
  for (const [k, v] of Object.entries(filters))
    /** @type {HTMLSelectElement} */ (form.elements.namedItem(k)).value = v;
  /** @type {any[]} */
  const cases = r.ok ? r.data.cases : [];
  main.replaceChildren(
    h('h1', { text: t('queue') }),
    form,
    box,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['tracking', 'category', 'subject', 'colStatus', 'targetDate'].map((k) =>
              h('th', { scope: 'col', text: t(k) }),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          ...cases.map((c) =>
            h(
              'tr',
              {},
              h(
                'td',
                {},
                h('button', {
                  type: 'button',
                  class: 'secondary',
                  text: c.trackingNumber,
                  onclick: () => void caseView(c.trackingNumber),
                }),
              ),
              h('td', {
                text:
                  table('claimCategories')[c.category] ??
                  table('requestCategories')[c.category] ??
                  c.category,
              }),
              h('td', { text: c.subject }),
              h('td', {
                class: c.overdue ? 'status error' : 'status',
                text: `${t(`status.${c.status}`)}${c.overdue ? ` (${t('overdue')})` : ''}`,
              }),
              h('td', { text: c.targetDate }),
            ),
          ),
        ),
      ),
    ),
  );
  main.focus();
}

async function caseView(/** @type {string} */ tn) {
  const box = messageBox();
  const r = await call('GET', `/api/agency/queue/${encodeURIComponent(tn)}`);
  if (!r.ok) return say(box, r.data?.message ?? String(r.status));
  const c = r.data;
  const move = (/** @type {string} */ status) =>
    h('button', {
      type: 'button',
      class: 'secondary',
      text: t(`status.${status}`),
      onclick: async () => {
        const m = await call('POST', `/api/agency/queue/${tn}/status`, { status });
        if (!m.ok) return say(box, m.data?.message ?? String(m.status));
        void caseView(tn);
      },
    });
  const reply = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          const m = await call('POST', `/api/agency/queue/${tn}/messages`, formValues(reply));
          if (!m.ok) return say(box, m.data?.message ?? String(m.status));
          void caseView(tn);
        },
      },
      row('text', t('answer'), h('textarea', { required: true, maxlength: 5000 })),
      h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: t('send') })),
    )
  );
  main.replaceChildren(
    h('h1', { text: `${t('tracking')} ${tn}` }),
    h(
      'div',
      { class: 'card' },
      h('p', { class: 'status', text: `${t('colStatus')} : ${t(`status.${c.status}`)}` }),
      h('p', { text: `${c.customerId} — ${c.subject}` }),
      h('p', { text: c.message }),
      c.bill && h('p', { text: `${t('colNumber')} : ${c.bill}` }),
      c.meter && h('p', { text: `${t('colMeter')} : ${c.meter}` }),
      h('p', { text: `${t('targetDate')} : ${c.targetDate}` }),
      h('div', { class: 'actions' }, ...['acknowledged', 'in-progress', 'resolved', 'rejected'].map(move)),
      box,
    ),
    h('h2', { text: t('history') }),
    h(
      'ol',
      { class: 'timeline' },
      ...c.history.map((/** @type {any} */ e) =>
        h('li', { text: `${e.at.slice(0, 16).replace('T', ' ')} — ${t(`status.${e.status}`)} (${e.actor})` }),
      ),
    ),
    h('h2', { text: t('thread') }),
    h(
      'ul',
      { class: 'thread' },
      ...c.messages.map((/** @type {any} */ m) =>
        h('li', {
          class: m.author,
          text: `${t(m.author === 'operator' ? 'agency' : 'customerLabel')} : ${m.text}`,
        }),
      ),
    ),
    reply,
    h('button', { type: 'button', class: 'secondary', text: t('back'), onclick: () => void listView() }),
  );
  main.focus();
}

async function render() {
  applyLang();
  langs();
  if (!sessionStorage.getItem(KEY)) return keyView();
  return listView();
}

void render();
