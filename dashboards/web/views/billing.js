// @ts-check
/* global URLSearchParams, setTimeout, clearTimeout */
/**
 * Operators' postpaid billing (issue 16 §11): collection rate and aged receivables, billing runs and
 * their progress, bills with filters, a bill's detail and PDF, counter payment entry, plan and
 * deferral requests to approve, and the reminder schedule with the reminders sent. Amounts come from
 * the API in integer centimes.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api, download } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, fmtMoney, fmtNumber, getLang } from '../lib/i18n.js';
import { CODES, TEXT } from './billing-text.js';

/** @param {keyof typeof TEXT.fr} key @param {Record<string, string|number>} [p] */
function tr(key, p) {
  const table = TEXT[/** @type {'fr'|'ar'|'en'} */ (getLang())] ?? TEXT.fr;
  let s = table[key] ?? TEXT.fr[key];
  if (p) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in p ? String(p[k]) : m));
  return s;
}

/**
 * The word for a code the API answers with, in the page's language (the code itself when unknown).
 * @param {string} kind @param {string} code
 */
function word(kind, code) {
  const lang = /** @type {'fr'|'ar'|'en'} */ (getLang());
  return (CODES[lang] ?? CODES.fr)[kind]?.[code] ?? code;
}

/** Centimes as money. @param {number} c */
const money = (c) => fmtMoney(c / 100);

/** "123,45" / "123.45" / "123" → centimes, or null. @param {string} s */
export function parseCentimes(s) {
  const m = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}

const STATUSES = ['issued', 'partially-paid', 'paid', 'overdue', 'in-plan', 'cancelled'];
const KINDS = ['periodic', 'regularisation', 'credit-note'];
const CHANNELS = ['agency', 'transfer', 'wallet', 'card'];

/** @param {{ error: string }} p */
const Err = ({ error }) => error && html`<p class="error" role="alert">${tr('error', { m: error })}</p>`;

/** Loads `path` again whenever `deps` change. @param {string} path @param {unknown[]} deps */
function useApi(path, deps) {
  const [data, setData] = useState(/** @type {any} */ (null));
  const [error, setError] = useState('');
  useEffect(() => {
    let alive = true;
    setError('');
    api(path)
      .then((d) => alive && setData(d))
      .catch((e) => alive && setError(String(e.message)));
    return () => {
      alive = false;
    };
  }, deps);
  return { data, error };
}

function Receivables() {
  const { data, error } = useApi('/api/billing/receivables', []);
  return html`<section data-testid="billing-receivables">
    <h2>${tr('receivables')}</h2>
    <${Err} error=${error} />
    ${
      data &&
      html`<p>
          ${tr('rate')} :
          <strong data-testid="collection-rate">${fmtNumber(data.collectionRate * 100, 1)} %</strong>
          — ${tr('billed')} ${money(data.billed)}, ${tr('collected')} ${money(data.collected)},
          ${tr('notDue')} ${money(data.notDue)}
        </p>
        <table class="data" data-testid="aged-receivables">
          <thead>
            <tr>
              <th scope="col">${tr('bucket')}</th>
              <th scope="col">${tr('amount')}</th>
              <th scope="col">${tr('count')}</th>
            </tr>
          </thead>
          <tbody>
            ${data.aged.map(
              (/** @type {any} */ a) =>
                html`<tr>
                  <td>${a.bucket}</td>
                  <td>${money(a.amount)}</td>
                  <td>${a.count}</td>
                </tr>`,
            )}
          </tbody>
        </table>`
    }
  </section>`;
}

function Runs() {
  const [tick, setTick] = useState(0);
  const [period, setPeriod] = useState('');
  const [error, setError] = useState('');
  const { data, error: loadError } = useApi('/api/billing/runs?limit=10', [tick]);
  const running = data?.runs?.some((/** @type {any} */ r) => r.status === 'running');
  useEffect(() => {
    if (!running) return undefined;
    const id = setTimeout(() => setTick((n) => n + 1), 1000);
    return () => clearTimeout(id);
  }, [running, tick]);
  return html`<section data-testid="billing-runs">
    <h2>${tr('runs')}</h2>
    <${Err} error=${error || loadError} />
    <form
      class="row"
      onSubmit=${(/** @type {any} */ e) => {
        e.preventDefault();
        setError('');
        api('/api/billing/runs', { method: 'POST', body: { period: period.trim() } })
          .then(() => setTick((n) => n + 1))
          .catch((err) => setError(String(err.message)));
      }}
    >
      <label for="run-period">${tr('period')}</label>
      <input
        id="run-period"
        value=${period}
        onInput=${(/** @type {any} */ e) => setPeriod(e.currentTarget.value)}
      />
      <button type="submit">${tr('start')}</button>
    </form>
    ${
      data &&
      html`<table class="data">
        <thead>
          <tr>
            <th scope="col">${tr('period')}</th>
            <th scope="col">${tr('status')}</th>
            <th scope="col">${tr('progress')}</th>
          </tr>
        </thead>
        <tbody>
          ${data.runs.map(
            (/** @type {any} */ r) =>
              html`<tr data-testid="run-row">
                <td>${r.period}</td>
                <td>${word('runStatus', r.status)}</td>
                <td><progress max="1" value=${r.progress}></progress> ${r.issued}/${r.total}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>`;
}

/** @param {{ number: string, onClose: () => void, onPaid: () => void }} p */
function BillDetail({ number, onClose, onPaid }) {
  const [tick, setTick] = useState(0);
  const { data: b, error } = useApi(`/api/bills/${encodeURIComponent(number)}`, [number, tick]);
  const customerId = b?.customerId ?? '';
  const [amount, setAmount] = useState('');
  const [channel, setChannel] = useState('agency');
  const [reference, setReference] = useState('');
  const [receipt, setReceipt] = useState(/** @type {any} */ (null));
  const [payError, setPayError] = useState('');
  const pay = (/** @type {any} */ e) => {
    e.preventDefault();
    setPayError('');
    const c = parseCentimes(amount);
    if (c === null || c === 0) return setPayError(tr('badAmount'));
    api('/api/payments', {
      method: 'POST',
      body: { billNumber: number, amount: c, channel, reference: reference.trim() },
    })
      .then((r) => {
        setReceipt(r);
        setTick((n) => n + 1);
        onPaid();
      })
      .catch((err) => setPayError(String(err.message)));
  };
  return html`<section data-testid="bill-detail">
    <h2>${tr('detail', { n: number })}</h2>
    <button type="button" onClick=${onClose}>${tr('close')}</button>
    <${Err} error=${error} />
    ${
      b &&
      html`<p>
          ${b.customerNumber} — ${b.contract} — ${b.meter} — ${b.periodFrom} → ${b.periodTo} —
          ${tr('deadline')} ${b.paymentDeadline} —
          <span data-testid="bill-status" data-status=${b.status}>${word('billStatus', b.status)}</span>
        </p>
        <p>
          ${tr('index')} ${b.previousIndex} (${word('quality', b.previousQuality)}) → ${b.newIndex}
          (${word('quality', b.newQuality)}) — ${tr('consumption')} ${b.consumption}
        </p>
        <table class="data">
          <thead>
            <tr>
              <th scope="col">${tr('line')}</th>
              <th scope="col">${tr('ht')}</th>
              <th scope="col">${tr('tax')}</th>
              <th scope="col">${tr('ttc')}</th>
            </tr>
          </thead>
          <tbody>
            ${b.lines.map(
              (/** @type {any} */ l) =>
                html`<tr>
                  <td>${l.label[getLang()] ?? l.label.fr} ${l.month}</td>
                  <td>${money(l.ht)}</td>
                  <td>${money(l.tax)}</td>
                  <td>${money(l.ttc)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        <p>
          ${tr('ttc')} <strong>${money(b.amountTTC)}</strong> — ${tr('due')}
          <strong>${money(b.amountDue)}</strong>
        </p>
        <button
          type="button"
          data-testid="bill-pdf"
          onClick=${() => download(`/api/bills/${b.number}.pdf?lang=${getLang()}`, `facture-${b.number}.pdf`)}
        >
          ${tr('pdf')}
        </button>
        <form class="row" data-testid="counter-payment" onSubmit=${pay}>
          <strong>${tr('pay')}</strong>
          <label for="pay-amount">${tr('amount')}</label>
          <input
            id="pay-amount"
            inputmode="decimal"
            value=${amount}
            onInput=${(/** @type {any} */ e) => setAmount(e.currentTarget.value)}
          />
          <label for="pay-channel">${tr('channel')}</label>
          <select
            id="pay-channel"
            value=${channel}
            onChange=${(/** @type {any} */ e) => setChannel(e.currentTarget.value)}
          >
            ${CHANNELS.map((c) => html`<option value=${c}>${word('payChannel', c)}</option>`)}
          </select>
          <label for="pay-reference">${tr('reference')}</label>
          <input
            id="pay-reference"
            required
            value=${reference}
            onInput=${(/** @type {any} */ e) => setReference(e.currentTarget.value)}
          />
          <button type="submit">${tr('record')}</button>
        </form>
        <${Err} error=${payError} />
        <${CustomerAccount} key=${`${customerId}/${tick}`} customerId=${customerId} />
        ${
          receipt &&
          html`<p role="status" data-testid="payment-receipt">
            ${tr('receipt', {
              r: receipt.receiptNumber,
              a: money(receipt.amount - receipt.credit),
              c: money(receipt.credit),
            })}
          </p>`
        }`
    }
  </section>`;
}

/** The customer's balance and reminders, reloaded after a payment. @param {{ customerId: string }} p */
function CustomerAccount({ customerId }) {
  const { data: bal } = useApi(`/api/customers/${encodeURIComponent(customerId)}/balance`, [customerId]);
  const { data: rem } = useApi(`/api/customers/${encodeURIComponent(customerId)}/reminders`, [customerId]);
  if (!customerId) return null;
  return html`<div data-testid="customer-account">
    ${
      bal &&
      html`<p data-testid="customer-balance">
        ${tr('balance', { b: money(bal.balance), c: money(bal.credit), o: money(bal.overdue), p: money(bal.inPlan) })}
      </p>`
    }
    ${
      rem &&
      rem.reminders.length > 0 &&
      html`<h3>${tr('custReminders')}</h3>
        <ul>
          ${rem.reminders.map(
            (/** @type {any} */ r) =>
              html`<li data-testid="customer-reminder">
                ${r.scheduledFor} — ${r.billNumber} — ${r.step} — ${word('reminderChannel', r.channel)} —
                ${word('reminderStatus', r.status)}
              </li>`,
          )}
        </ul>`
    }
  </div>`;
}

function Bills() {
  const [status, setStatus] = useState('');
  const [kind, setKind] = useState('');
  const [customer, setCustomer] = useState('');
  const [applied, setApplied] = useState('');
  const [tick, setTick] = useState(0);
  const [open, setOpen] = useState('');
  const { data, error } = useApi(`/api/bills?${applied}`, [applied, tick]);
  const apply = (/** @type {any} */ e) => {
    e.preventDefault();
    const q = new URLSearchParams({ limit: '100' });
    if (status) q.set('status', status);
    if (kind) q.set('kind', kind);
    if (customer.trim()) q.set('customer', customer.trim());
    setApplied(q.toString());
    setTick((n) => n + 1); // the same filter again reloads
  };
  return html`<section data-testid="billing-bills">
    <h2>${tr('bills')}</h2>
    <form class="row" onSubmit=${apply}>
      <label for="bills-status">${tr('status')}</label>
      <select
        id="bills-status"
        value=${status}
        onChange=${(/** @type {any} */ e) => setStatus(e.currentTarget.value)}
      >
        <option value="">${tr('all')}</option>
        ${STATUSES.map((s) => html`<option value=${s}>${word('billStatus', s)}</option>`)}
      </select>
      <label for="bills-kind">${tr('kind')}</label>
      <select
        id="bills-kind"
        value=${kind}
        onChange=${(/** @type {any} */ e) => setKind(e.currentTarget.value)}
      >
        <option value="">${tr('all')}</option>
        ${KINDS.map((k) => html`<option value=${k}>${word('billKind', k)}</option>`)}
      </select>
      <label for="bills-customer">${tr('customer')}</label>
      <input
        id="bills-customer"
        value=${customer}
        onInput=${(/** @type {any} */ e) => setCustomer(e.currentTarget.value)}
      />
      <button type="submit">${tr('filter')}</button>
    </form>
    <${Err} error=${error} />
    ${!data && !error && html`<p aria-busy="true">${tr('loading')}</p>`}
    ${data && !data.bills.length && html`<p class="muted">${tr('none')}</p>`}
    ${
      data &&
      data.bills.length > 0 &&
      html`<table class="data" data-testid="bills-table">
        <thead>
          <tr>
            <th scope="col">${tr('number')}</th>
            <th scope="col">${tr('customer')}</th>
            <th scope="col">${tr('period')}</th>
            <th scope="col">${tr('kind')}</th>
            <th scope="col">${tr('ttc')}</th>
            <th scope="col">${tr('deadline')}</th>
            <th scope="col">${tr('status')}</th>
          </tr>
        </thead>
        <tbody>
          ${data.bills.map(
            (/** @type {any} */ b) =>
              html`<tr data-testid="bill-row" data-status=${b.status}>
                <td>
                  <button type="button" class="link" onClick=${() => setOpen(b.number)}>${b.number}</button>
                </td>
                <td>${b.customerName} (${b.customerNumber})</td>
                <td>${b.periodFrom} → ${b.periodTo}</td>
                <td>${word('billKind', b.kind)}${b.estimated ? ' *' : ''}</td>
                <td>${money(b.amountTTC)}</td>
                <td>${b.paymentDeadline}</td>
                <td>${word('billStatus', b.status)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
    ${open && html`<${BillDetail} key=${open} number=${open} onClose=${() => setOpen('')} onPaid=${() => setTick((n) => n + 1)} />`}
  </section>`;
}

function Plans() {
  const [tick, setTick] = useState(0);
  const [error, setError] = useState('');
  const { data, error: loadError } = useApi('/api/instalment-plans?status=requested', [tick]);
  const decide = (/** @type {string} */ id, /** @type {string} */ decision) =>
    api(`/api/instalment-plans/${encodeURIComponent(id)}/decision`, { method: 'POST', body: { decision } })
      .then(() => setTick((n) => n + 1))
      .catch((e) => setError(String(e.message)));
  return html`<section data-testid="billing-plans">
    <h2>${tr('plans')}</h2>
    <${Err} error=${error || loadError} />
    ${data && !data.plans.length && html`<p class="muted">${tr('none')}</p>`}
    ${
      data &&
      data.plans.length > 0 &&
      html`<table class="data">
        <tbody>
          ${data.plans.map(
            (/** @type {any} */ p) =>
              html`<tr data-testid="plan-request">
                <td>${p.customerId}</td>
                <td>${tr('bill')} ${p.billNumber}</td>
                <td>${p.kind === 'deferral' ? `→ ${p.deferredUntil}` : `${p.months} ${tr('months')}`}</td>
                <td>${money(p.amount)}</td>
                <td>
                  <button type="button" onClick=${() => decide(p.id, 'approve')}>${tr('approve')}</button>
                  <button type="button" onClick=${() => decide(p.id, 'refuse')}>${tr('refuse')}</button>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>`;
}

function Reminders() {
  const { data, error } = useApi('/api/billing/reminders?limit=50', []);
  return html`<section data-testid="billing-reminders">
    <h2>${tr('reminders')}</h2>
    <${Err} error=${error} />
    ${
      data &&
      html`<p>${tr('schedule', { s: data.schedule.map((/** @type {any} */ s) => s.step).join(', ') })}</p>
        <table class="data">
          <tbody>
            ${data.reminders.map(
              (/** @type {any} */ r) =>
                html`<tr data-testid="reminder-row">
                  <td>${r.scheduledFor}</td>
                  <td>${r.customerId}</td>
                  <td>${r.billNumber}</td>
                  <td>${r.step}</td>
                  <td>${word('reminderChannel', r.channel)}</td>
                  <td>${word('reminderStatus', r.status)}</td>
                  <td>${fmtDateTime(r.at)}</td>
                </tr>`,
            )}
          </tbody>
        </table>`
    }
  </section>`;
}

export function BillingView() {
  return html`<section class="billing">
    <h1>${tr('title')}</h1>
    <${Receivables} />
    <${Runs} />
    <${Bills} />
    <${Plans} />
    <${Reminders} />
  </section>`;
}
