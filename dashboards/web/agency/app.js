// @ts-check
/* global document, window, location, URLSearchParams, FormData */
/**
 * The online agency: register (CAPTCHA solved in the page), sign in, forced password change, my bills
 * (table, PDF, exports, 6-month chart, pay online, receipt), reports, claims and requests with
 * tracking. Hash routes; every text through i18n.js (fr, ar right-to-left, en).
 */
import { api, formValues, h, messageBox, row, say, select } from './dom.js';
import { LANGS, applyLang, getLang, money, setLang, t, table } from './i18n.js';
import { solve } from './pow.js';

/** @type {{ username: string, mustChangePassword: boolean } | null} */
let me = null;
const main = /** @type {HTMLElement} */ (document.getElementById('main'));

function go(/** @type {string} */ hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

async function loadMe() {
  const r = await api('GET', '/api/agency/me');
  me = r.ok ? r.data : null;
}

function header() {
  /** @type {HTMLElement} */ (document.getElementById('brand')).textContent = t('brand');
  /** @type {HTMLElement} */ (document.querySelector('.skip')).textContent = t('skip');
  document.title = t('brand');
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  nav.replaceChildren();
  const here = location.hash.split('?')[0];
  const link = (/** @type {string} */ hash, /** @type {string} */ key) =>
    h('a', { href: hash, text: t(key), 'aria-current': here.startsWith(hash) ? 'page' : undefined });
  if (me && !me.mustChangePassword) {
    nav.append(link('#/bills', 'bills'), link('#/reports', 'reports'), link('#/claims', 'claims'));
    nav.append(
      link('#/requests', 'requests'),
      link('#/consumption', 'consumption'),
      link('#/preferences', 'preferences'),
    );
  }
  if (me) {
    nav.append(
      h('button', {
        type: 'button',
        text: t('logout'),
        onclick: async () => {
          await api('POST', '/api/agency/logout');
          me = null;
          go('#/login');
        },
      }),
    );
  }
  const langs = /** @type {HTMLElement} */ (document.getElementById('langs'));
  langs.replaceChildren(
    ...LANGS.map((l) =>
      h('button', {
        type: 'button',
        lang: l,
        'aria-pressed': String(getLang() === l),
        text: { fr: 'Français', ar: 'العربية', en: 'English' }[l],
        onclick: () => {
          setLang(l);
          render();
        },
      }),
    ),
  );
}

function page(/** @type {string} */ title, /** @type {...(Node|null|false)} */ ...content) {
  main.replaceChildren(h('h1', { text: title }), ...content.filter((c) => c));
  main.focus();
}

// --- sign in, register, recover, password -------------------------------------------------------

function loginView() {
  const box = messageBox();
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (/** @type {Event} */ e) => {
        e.preventDefault();
        const r = await api('POST', '/api/agency/login', formValues(/** @type {HTMLFormElement} */ (form)));
        if (!r.ok) return say(box, r.data?.message ?? String(r.status));
        me = r.data;
        go(r.data.mustChangePassword ? '#/password' : '#/bills');
      },
    },
    row('username', t('username'), h('input', { autocomplete: 'username', required: true })),
    row(
      'password',
      t('password'),
      h('input', { type: 'password', autocomplete: 'current-password', required: true }),
    ),
    h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: t('login') })),
    box,
  );
  page(
    t('login'),
    form,
    h('p', {}, h('a', { href: '#/register', text: t('register') })),
    h('p', {}, h('a', { href: '#/recover', text: t('recover') })),
  );
}

/** Starts solving a fresh CAPTCHA; the returned promise gives the answer. */
function captchaField() {
  const status = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite', text: t('captchaWorking') });
  const answer = api('GET', '/api/agency/captcha').then(async (r) => {
    const solved = await solve(r.data);
    status.textContent = `✓ ${t('captchaDone')}`;
    return solved;
  });
  return { node: h('fieldset', {}, h('legend', { text: t('captcha') }), status), answer };
}

function radios(
  /** @type {string} */ name,
  /** @type {[string, string][]} */ options,
  /** @type {string} */ legend,
  onchange = () => {},
) {
  return h(
    'fieldset',
    {},
    h('legend', { text: legend }),
    h(
      'div',
      { class: 'radio' },
      ...options.map(([v, l], i) =>
        h('label', {}, h('input', { type: 'radio', name, value: v, checked: i === 0, onchange }), l),
      ),
    ),
  );
}

function registerView() {
  const box = messageBox();
  const captcha = captchaField();
  const business = h('p', { class: 'notice', hidden: true, text: t('businessNotice') });
  const submit = h('button', { class: 'primary', type: 'submit', text: t('submit') });
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          submit.setAttribute('disabled', '');
          const body = { ...formValues(form), captcha: await captcha.answer };
          const r = await api('POST', '/api/agency/register', body);
          submit.removeAttribute('disabled');
          if (!r.ok) return say(box, r.data?.message ?? String(r.status));
          page(
            t('register'),
            h('p', { class: 'success', role: 'status', text: t('registered', { to: r.data.sentTo }) }),
            r.data.firstBillNextMonth && h('p', { class: 'notice', text: t('firstBillNextMonth') }),
            h('a', { class: 'button', href: '#/login', text: t('login') }),
          );
        },
      },
      radios(
        'customerType',
        [
          ['individual', t('individual')],
          ['business', t('business')],
        ],
        t('customerType'),
        () => {
          const isBusiness = form.customerType.value === 'business';
          business.hidden = !isBusiness;
          if (isBusiness) submit.setAttribute('disabled', '');
          else submit.removeAttribute('disabled');
        },
      ),
      business,
      row(
        'service',
        t('service'),
        select([
          ['electricity', t('electricity')],
          ['water', t('water')],
          ['both', t('both')],
        ]),
      ),
      h(
        'div',
        { class: 'grid2' },
        row(
          'username',
          t('username'),
          h('input', { autocomplete: 'username', required: true, minlength: 4, maxlength: 40 }),
        ),
        row('email', t('email'), h('input', { type: 'email', autocomplete: 'email', required: true })),
        row(
          'civility',
          t('civility'),
          select([
            ['M', t('mr')],
            ['Mme', t('mrs')],
          ]),
        ),
        row('lastName', t('lastName'), h('input', { autocomplete: 'family-name', required: true })),
        row('firstName', t('firstName'), h('input', { autocomplete: 'given-name', required: true })),
        row(
          'mobile',
          t('mobile'),
          h('input', { type: 'tel', autocomplete: 'tel', required: true, dir: 'ltr' }),
        ),
        row('landline', t('landline'), h('input', { type: 'tel', dir: 'ltr' })),
        row('cin', t('cin'), h('input', { required: true, dir: 'ltr' })),
        row('birthDate', t('birthDate'), h('input', { type: 'date', required: true })),
        row('customerNumber', t('customerNumber'), h('input', { required: true, dir: 'ltr' })),
        row('contractNumber', t('contractNumber'), h('input', { required: true, dir: 'ltr' })),
      ),
      radios(
        'delivery',
        [
          ['sms', t('bySms')],
          ['email', t('byEmail')],
        ],
        t('delivery'),
      ),
      captcha.node,
      h('div', { class: 'actions' }, submit),
      box,
    )
  );
  page(t('register'), form);
}

function recoverView() {
  const box = messageBox();
  const captcha = captchaField();
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          const r = await api('POST', '/api/agency/recover', {
            ...formValues(form),
            captcha: await captcha.answer,
          });
          if (!r.ok) return say(box, r.data?.message ?? String(r.status));
          say(box, t('recoverSent'), true);
        },
      },
      row('customerNumber', t('customerNumber'), h('input', { required: true, dir: 'ltr' })),
      row('cin', t('cin'), h('input', { required: true, dir: 'ltr' })),
      captcha.node,
      h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: t('submit') })),
      box,
    )
  );
  page(t('recover'), form, h('p', {}, h('a', { href: '#/login', text: t('login') })));
}

function passwordView() {
  const box = messageBox();
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          const v = formValues(form);
          if (v.new !== v.confirm) return say(box, t('mismatch'));
          const r = await api('POST', '/api/agency/password', { old: v.old, new: v.new, confirm: v.confirm });
          if (!r.ok) return say(box, r.data?.message ?? String(r.status));
          await loadMe();
          go('#/bills');
        },
      },
      me?.mustChangePassword && h('p', { class: 'notice', text: t('mustChange') }),
      row(
        'old',
        t('oldPassword'),
        h('input', { type: 'password', autocomplete: 'current-password', required: true }),
      ),
      row(
        'new',
        t('newPassword'),
        h('input', {
          type: 'password',
          autocomplete: 'new-password',
          required: true,
          'aria-describedby': 'rule',
        }),
      ),
      h('p', { id: 'rule', class: 'hint', text: t('passwordRule') }),
      row(
        'confirm',
        t('confirmPassword'),
        h('input', { type: 'password', autocomplete: 'new-password', required: true }),
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', { class: 'primary', type: 'submit', text: t('changePassword') }),
      ),
      box,
    )
  );
  page(t('changePassword'), form);
}

// --- bills, chart, payment ----------------------------------------------------------------------

/** @param {{ month: string, amountTTC: number, consumption: number }[]} months */
function chart(months, /** @type {'amountTTC'|'consumption'} */ key, /** @type {string} */ title) {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 600;
  const H = 220;
  const max = Math.max(1, ...months.map((m) => m[key]));
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  const bw = W / months.length;
  const rtl = getLang() === 'ar';
  months.forEach((m, i) => {
    const x = (rtl ? months.length - 1 - i : i) * bw;
    const hgt = Math.round((m[key] / max) * (H - 50));
    const rect = document.createElementNS(NS, 'rect');
    rect.setAttribute('x', String(x + 10));
    rect.setAttribute('y', String(H - 30 - hgt));
    rect.setAttribute('width', String(bw - 20));
    rect.setAttribute('height', String(hgt));
    rect.setAttribute('class', key === 'amountTTC' ? 'bar' : 'bar2');
    const tip = document.createElementNS(NS, 'title');
    const value = key === 'amountTTC' ? money(m[key]) : `${m[key]} kWh`;
    tip.textContent = `${m.month}: ${value}`;
    rect.append(tip);
    const label = document.createElementNS(NS, 'text');
    label.setAttribute('x', String(x + bw / 2));
    label.setAttribute('y', String(H - 12));
    label.setAttribute('text-anchor', 'middle');
    label.textContent = m.month;
    const val = document.createElementNS(NS, 'text');
    val.setAttribute('x', String(x + bw / 2));
    val.setAttribute('y', String(H - 34 - hgt));
    val.setAttribute('text-anchor', 'middle');
    val.textContent = key === 'amountTTC' ? (m[key] / 100).toFixed(0) : String(m[key]);
    svg.append(rect, label, val);
  });
  return h('figure', { class: 'card chart' }, h('figcaption', { text: title }), svg);
}

async function billsView() {
  const box = messageBox();
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const query = new URLSearchParams();
  for (const k of ['due', 'contract']) if (params.get(k)) query.set(k, /** @type {string} */ (params.get(k)));
  const [r, monthly] = await Promise.all([
    api('GET', `/api/agency/bills?${query}`),
    api('GET', '/api/agency/reports/monthly'),
  ]);
  if (!r.ok) return page(t('bills'), h('p', { class: 'error', text: r.data?.message ?? '' }));
  /** @type {any[]} */
  const bills = r.data.bills;
  const contracts = [...new Set(bills.map((b) => b.contract))];
  const filters = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card filters',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          const v = formValues(filters);
          go(`#/bills?${new URLSearchParams(v)}`);
        },
      },
      row('due', t('dueMonth'), h('input', { type: 'month', value: params.get('due') ?? '' })),
      row(
        'contract',
        t('contract'),
        select([['', t('all')], ...contracts.map((c) => /** @type {[string,string]} */ ([c, c]))]),
      ),
      h('div', { class: 'actions' }, h('button', { class: 'secondary', type: 'submit', text: t('filter') })),
    )
  );
  /** @type {HTMLSelectElement} */ (filters.contract).value = params.get('contract') ?? '';
  const tableEl = h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...[
          'colPay',
          'colCustomer',
          'colContract',
          'colDue',
          'colDeadline',
          'colHT',
          'colTTC',
          'colNumber',
          'colStatus',
          'colPdf',
        ].map((k) => h('th', { scope: 'col', text: t(k) })),
      ),
    ),
    h(
      'tbody',
      {},
      ...bills.map((b) =>
        h(
          'tr',
          {},
          h(
            'td',
            {},
            b.amountDue > 0 && b.status !== 'paid'
              ? h('input', {
                  type: 'checkbox',
                  name: 'pay',
                  value: b.number,
                  'aria-label': t('selectBill', { n: b.number }),
                })
              : '',
          ),
          h('td', { text: b.customerNumber }),
          h('td', { text: b.contract }),
          h('td', { text: b.dueDate }),
          h('td', { text: b.paymentDeadline }),
          h('td', { class: 'num', text: money(b.amountHT) }),
          h('td', { class: 'num', text: money(b.amountTTC) }),
          h('td', { text: b.number }),
          h('td', { class: 'status', text: t(`status.${b.status}`) }),
          h(
            'td',
            {},
            h(
              'a',
              { href: b.pdf, target: '_blank', rel: 'noopener' },
              t('pdf'),
              h('span', { class: 'sr-only', text: ` — ${t('openPdf', { n: b.number })}` }),
            ),
          ),
        ),
      ),
    ),
  );
  const pay = h('button', {
    class: 'primary',
    type: 'button',
    text: t('payOnline'),
    onclick: async () => {
      const chosen = [...main.querySelectorAll('input[name=pay]:checked')].map(
        (i) => /** @type {HTMLInputElement} */ (i).value,
      );
      if (!chosen.length) return say(box, t('payNone'));
      const p = await api('POST', '/api/agency/payments', { bills: chosen });
      if (!p.ok) return say(box, p.data?.message ?? String(p.status));
      window.location.assign(p.data.checkoutUrl);
    },
  });
  page(
    t('bills'),
    filters,
    bills.length ? h('div', { class: 'table-wrap' }, tableEl) : h('p', { text: t('noBills') }),
    h(
      'div',
      { class: 'actions' },
      pay,
      h('a', {
        class: 'button',
        href: `/api/agency/bills/export.xlsx?${query}`,
        download: 'factures.xlsx',
        text: t('exportXlsx'),
      }),
      h('a', {
        class: 'button',
        href: `/api/agency/bills/export.pdf?${query}`,
        download: 'factures.pdf',
        text: t('exportPdf'),
      }),
    ),
    box,
    monthly.ok && chart(monthly.data.months, 'amountTTC', t('chartTitle')),
  );
}

async function reportsView() {
  const r = await api('GET', '/api/agency/reports/monthly');
  page(
    t('reports'),
    r.ok && chart(r.data.months, 'amountTTC', t('chartTitle')),
    r.ok && chart(r.data.months, 'consumption', t('chartConsumption')),
    h('a', {
      class: 'button',
      href: '/api/agency/reports/statistics.xlsx',
      download: 'statistiques.xlsx',
      text: t('statistics'),
    }),
  );
}

async function receiptView() {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const id = params.get('checkout') ?? '';
  const r = await api('GET', `/api/agency/payments/${encodeURIComponent(id)}`);
  if (!r.ok) return page(t('receipt'), h('p', { class: 'error', text: r.data?.message ?? '' }));
  page(
    t('receipt'),
    h('p', {
      class: r.data.status === 'paid' ? 'success' : 'error',
      role: 'status',
      text: t(r.data.status === 'paid' ? 'paid' : 'declined'),
    }),
    h('p', { text: `${t('amount')} : ${money(r.data.amount)}` }),
    h(
      'ul',
      {},
      ...r.data.bills.map((/** @type {any} */ b) =>
        h('li', { text: `${b.number} — ${t(`status.${b.status}`)}` }),
      ),
    ),
    h('a', { class: 'button', href: '#/bills', text: t('bills') }),
  );
}

// --- claims and requests ------------------------------------------------------------------------

async function casesView(/** @type {'claims'|'requests'} */ kind) {
  const box = messageBox();
  const categories = table(kind === 'claims' ? 'claimCategories' : 'requestCategories');
  const [list, bills] = await Promise.all([
    api('GET', `/api/agency/${kind}`),
    api('GET', '/api/agency/bills?limit=24'),
  ]);
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          const data = new FormData();
          const { address, lat, lon, ...fields } = formValues(form);
          for (const [k, v] of Object.entries(fields)) data.append(k, v);
          // A connection request's place travels in details (lat and lon as numbers, both or neither).
          if (kind === 'requests' && (address || lat || lon)) {
            const place = { address, ...(lat || lon ? { lat: Number(lat), lon: Number(lon) } : {}) };
            data.append('details', JSON.stringify(place));
          }
          const files = /** @type {HTMLInputElement} */ (form.attachments).files ?? [];
          for (const f of files) data.append('attachments', f, f.name);
          const r = await api('POST', `/api/agency/${kind}`, data);
          if (!r.ok) return say(box, r.data?.message ?? String(r.status));
          go(`#/${kind}/${r.data.trackingNumber}`);
        },
      },
      row('category', t('category'), select(Object.entries(categories))),
      row('subject', t('subject'), h('input', { required: true, maxlength: 200 })),
      row('message', t('message'), h('textarea', { required: true, maxlength: 5000 })),
      row(
        'bill',
        t('linkedBill'),
        select([
          ['', t('none')],
          ...(bills.ok ? bills.data.bills : []).map((/** @type {any} */ b) => [
            b.number,
            `${b.number} (${b.dueDate})`,
          ]),
        ]),
      ),
      row('meter', t('meter'), h('input', { dir: 'ltr' })),
      kind === 'claims' && row('token', t('token'), h('input', { dir: 'ltr', inputmode: 'numeric' })),
      kind === 'requests' && row('address', t('connectionAddress'), h('input', { maxlength: 500 })),
      kind === 'requests' &&
        row('lat', t('latitude'), h('input', { type: 'number', step: 'any', min: -90, max: 90, dir: 'ltr' })),
      kind === 'requests' &&
        row(
          'lon',
          t('longitude'),
          h('input', { type: 'number', step: 'any', min: -180, max: 180, dir: 'ltr' }),
        ),
      row(
        'attachments',
        t('attachments'),
        h('input', {
          type: 'file',
          multiple: true,
          accept: 'application/pdf,image/png,image/jpeg',
          name: 'files',
        }),
      ),
      h(
        'div',
        { class: 'actions' },
        h('button', {
          class: 'primary',
          type: 'submit',
          text: t(kind === 'claims' ? 'newClaim' : 'newRequest'),
        }),
      ),
      box,
    )
  );
  /** @type {any[]} */
  const cases = list.ok ? list.data[kind] : [];
  page(
    t(kind),
    cases.length > 0 &&
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
                h('td', {}, h('a', { href: `#/${kind}/${c.trackingNumber}`, text: c.trackingNumber })),
                h('td', { text: categories[c.category] ?? c.category }),
                h('td', { text: c.subject }),
                h('td', {
                  class: 'status',
                  text: `${t(`status.${c.status}`)}${c.overdue ? ` (${t('overdue')})` : ''}`,
                }),
                h('td', { text: c.targetDate }),
              ),
            ),
          ),
        ),
      ),
    h('h2', { text: t(kind === 'claims' ? 'newClaim' : 'newRequest') }),
    form,
  );
}

async function caseView(/** @type {'claims'|'requests'} */ kind, /** @type {string} */ tn) {
  const box = messageBox();
  const r = await api('GET', `/api/agency/${kind}/${encodeURIComponent(tn)}`);
  if (!r.ok) return page(tn, h('p', { class: 'error', text: r.data?.message ?? '' }));
  const c = r.data;
  const categories = table(kind === 'claims' ? 'claimCategories' : 'requestCategories');
  const reply = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          const m = await api('POST', `/api/agency/${kind}/${tn}/messages`, formValues(reply));
          if (!m.ok) return say(box, m.data?.message ?? String(m.status));
          render();
        },
      },
      row('text', t('reply'), h('textarea', { required: true, maxlength: 5000 })),
      h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: t('send') })),
      box,
    )
  );
  page(
    `${t('tracking')} ${c.trackingNumber}`,
    h(
      'div',
      { class: 'card' },
      h(
        'p',
        {},
        h('strong', { text: `${t('colStatus')} : ` }),
        h('span', { class: 'status', id: 'case-status', text: t(`status.${c.status}`) }),
      ),
      h('p', { text: `${t('category')} : ${categories[c.category] ?? c.category}` }),
      h('p', { text: `${t('targetDate')} : ${c.targetDate}${c.overdue ? ` (${t('overdue')})` : ''}` }),
      h('p', { text: `${t('subject')} : ${c.subject}` }),
      h('p', { text: c.message }),
      c.attachments.length > 0 &&
        h(
          'ul',
          {},
          ...c.attachments.map((/** @type {any} */ a) =>
            h(
              'li',
              {},
              h('a', { href: a.url, download: a.filename, text: `${t('download')} ${a.filename}` }),
            ),
          ),
        ),
    ),
    h('h2', { text: t('history') }),
    h(
      'ol',
      { class: 'timeline' },
      ...c.history.map((/** @type {any} */ e) =>
        h('li', {
          text: `${new Date(e.at).toLocaleString(getLang() === 'ar' ? 'ar-MA-u-nu-latn' : getLang())} — ${t(`status.${e.status}`)}${e.note ? ` : ${e.note}` : ''}`,
        }),
      ),
    ),
    h('h2', { text: t('thread') }),
    h(
      'ul',
      { class: 'thread' },
      ...c.messages.map((/** @type {any} */ m) =>
        h('li', { class: m.author, text: `${t(m.author === 'operator' ? 'agency' : 'you')} : ${m.text}` }),
      ),
    ),
    reply,
    h('a', { href: `#/${kind}`, text: t('back') }),
  );
}

async function preferencesView() {
  const box = messageBox();
  const r = await api('GET', '/api/agency/preferences');
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          const p = await api('PUT', '/api/agency/preferences', formValues(form));
          if (!p.ok) return say(box, p.data?.message ?? String(p.status));
          say(box, t('saved'), true);
        },
      },
      radios(
        'channels',
        [
          ['sms', t('bySms')],
          ['email', t('byEmail')],
          ['both', t('smsAndEmail')],
        ],
        t('notifyBy'),
      ),
      row(
        'language',
        t('notifyLanguage'),
        select([
          ['fr', 'Français'],
          ['ar', 'العربية'],
          ['en', 'English'],
        ]),
      ),
      h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: t('submit') })),
      box,
    )
  );
  if (r.ok) {
    for (const input of form.querySelectorAll('input[name=channels]'))
      /** @type {HTMLInputElement} */ (input).checked =
        /** @type {HTMLInputElement} */ (input).value === r.data.channels;
    /** @type {HTMLSelectElement} */ (form.language).value = r.data.language;
  }
  page(t('preferences'), form);
}

async function consumptionView() {
  const box = messageBox();
  const meters = await api('GET', '/api/agency/meters');
  /** @type {any[]} */
  const list = meters.ok ? meters.data.meters : [];
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const meter = params.get('meter') ?? list[0]?.meter ?? '';
  const [series, readings, alerts] = await Promise.all([
    meter ? api('GET', `/api/agency/consumption?meter=${encodeURIComponent(meter)}&months=6`) : null,
    meter ? api('GET', `/api/agency/self-readings?meter=${encodeURIComponent(meter)}`) : null,
    api('GET', '/api/agency/alerts'),
  ]);
  const picker = select(
    list.map((m) => [m.meter, `${m.meter} (${m.contract})`]),
    {
      onchange: (/** @type {Event} */ e) =>
        go(`#/consumption?meter=${encodeURIComponent(/** @type {HTMLSelectElement} */ (e.target).value)}`),
    },
  );
  /** @type {HTMLSelectElement} */ (picker).value = meter;
  const form = /** @type {HTMLFormElement} */ (
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          const r = await api('POST', '/api/agency/self-readings', {
            meter,
            index: Number(formValues(form).index),
          });
          if (!r.ok) return say(box, r.data?.message ?? String(r.status));
          say(box, t('selfReadingSaved'), true);
        },
      },
      row(
        'index',
        t('selfReadingIndex'),
        h('input', { type: 'number', min: 0, step: 'any', required: true, dir: 'ltr' }),
      ),
      h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', text: t('send') })),
      box,
    )
  );
  /** @type {any[]} */
  const alertList = alerts.ok ? alerts.data.alerts : [];
  page(
    t('consumption'),
    row('meterPick', t('meterLabel'), picker),
    series?.ok &&
      chart(
        series.data.months.map((/** @type {any} */ m) => ({
          month: m.month,
          amountTTC: 0,
          consumption: m.consumption,
        })),
        'consumption',
        t('chartConsumption'),
      ),
    h('h2', { text: t('selfReading') }),
    form,
    readings?.ok &&
      h(
        'ul',
        {},
        ...readings.data.readings.slice(0, 5).map((/** @type {any} */ r) =>
          h('li', {
            text: `${r.readAt.slice(0, 10)} — ${r.index} (${r.status === 'accepted' ? '✓' : '✗'})`,
          }),
        ),
      ),
    h('h2', { text: t('alerts') }),
    alertList.length
      ? h(
          'ul',
          {},
          ...alertList.map((a) =>
            h('li', { text: `${a.meter} — ${t(`alertKinds.${a.kind}`)} (${a.firstDay} → ${a.lastDay})` }),
          ),
        )
      : h('p', { text: t('noAlerts') }),
  );
}

// --- router -------------------------------------------------------------------------------------

async function render() {
  applyLang();
  const [path] = location.hash.replace(/^#/, '').split('?');
  const parts = (path || '/').split('/').filter(Boolean);
  const open = ['login', 'register', 'recover'];
  if (!open.includes(parts[0] ?? '') && !me) await loadMe();
  header();
  if (!me && !open.includes(parts[0] ?? '')) return loginView();
  if (me?.mustChangePassword && parts[0] !== 'password' && !open.includes(parts[0] ?? ''))
    return go('#/password');
  switch (parts[0]) {
    case 'login':
      return loginView();
    case 'register':
      return registerView();
    case 'recover':
      return recoverView();
    case 'password':
      return passwordView();
    case 'reports':
      return reportsView();
    case 'receipt':
      return receiptView();
    case 'claims':
    case 'requests':
      return parts[1] ? caseView(parts[0], parts[1]) : casesView(parts[0]);
    case 'consumption':
      return consumptionView();
    case 'preferences':
      return preferencesView();
    default:
      return billsView();
  }
}

window.addEventListener('hashchange', () => void render());
void render();
