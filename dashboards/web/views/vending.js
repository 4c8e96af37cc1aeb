// @ts-check
/* global clearTimeout, crypto, navigator, setTimeout, window */
/**
 * Vending console. Vendors: find the meter, quote, vend, print or share the receipt with its
 * 20-digit token, grant a kWh advance to an eligible household. Operators also issue management
 * tokens. An OpenPAYGO device gets its own form (days, unlock, counter sync: payg-tokens.js);
 * operators also see what offline reconciliation flagged (offline-anomalies.js). Each sale carries a
 * fresh requestId so a retried click can never sell twice.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtDateTime, fmtMoney, fmtNumber, t } from '../lib/i18n.js';
import { listOf } from '../lib/series.js';
import { OfflineAnomalies } from './offline-anomalies.js';
import { PaygTokenForm, formatPaygToken } from './payg-tokens.js';
import { formatToken } from './statement.js';

export const VEND_PATHS = {
  quote: '/api/quote',
  vend: '/api/vend',
  advance: '/api/advances',
  management: '/api/management/tokens',
  reverse: (/** @type {string} */ id) => `/api/vends/${encodeURIComponent(id)}/reverse`,
  reprint: (/** @type {string} */ id) => `/api/vends/${encodeURIComponent(id)}/reprint`,
  creditNote: (/** @type {string} */ id) => `/api/vends/${encodeURIComponent(id)}/credit-note`,
  freeBasic: (/** @type {string} */ id) => `/api/meters/${encodeURIComponent(id)}/free-basic`,
  keyChange: (/** @type {string} */ id) => `/api/meters/${encodeURIComponent(id)}/key-change`,
  openShift: (/** @type {string} */ vendorId) => `/api/vendors/${encodeURIComponent(vendorId)}/shifts`,
  closeShift: (/** @type {string} */ id) => `/api/shifts/${encodeURIComponent(id)}/close`,
  zReport: (/** @type {string} */ id, /** @type {'pdf'|'csv'} */ f) =>
    `/api/shifts/${encodeURIComponent(id)}/z-report.${f}`,
};

function requestId() {
  return crypto.randomUUID();
}

/** @param {{ session: { role: string, vendorId?: string } }} props */
export function VendingView({ session }) {
  const [matches, setMatches] = useState(/** @type {string[]} */ ([]));
  const [searched, setSearched] = useState('');
  const [query, setQuery] = useState('');
  const [meterId, setMeterId] = useState('');
  const [meter, setMeter] = useState(/** @type {any} */ (null));
  const [amount, setAmount] = useState('');
  const [quote, setQuote] = useState(/** @type {any} */ (null));
  const [receipt, setReceipt] = useState(/** @type {any} */ (null));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const [info, setInfo] = useState('');

  const needle = query.trim().toLowerCase();

  // Registered meters whose number contains what was typed (2 characters or more), asked of the
  // ledger: a vendor cannot list the fleet but finds the meter from part of its number.
  useEffect(() => {
    if (needle.length < 2 || !/^[a-z0-9._-]+$/.test(needle)) {
      setMatches([]);
      setSearched('');
      return undefined;
    }
    let alive = true;
    const timer = setTimeout(() => {
      api(`/api/ledger/meters?search=${encodeURIComponent(needle)}`)
        .then((r) => {
          if (!alive) return;
          setMatches(
            listOf(r?.meters ?? r)
              .map((m) => String(m.id))
              .slice(0, 8),
          );
          setSearched(needle);
        })
        .catch(() => alive && setMatches([]));
    }, 150);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [needle]);

  /**
   * Looks the id up in the ledger (vendors cannot list the fleet) and selects it; its token scheme
   * says which form the console shows (STS meter or OpenPAYGO device).
   * @param {string} id
   */
  async function pick(id) {
    if (!id) return;
    setError('');
    setInfo('');
    setQuote(null);
    setReceipt(null);
    try {
      const m = await api(`/api/ledger/meters/${encodeURIComponent(id)}`);
      setMeter(m);
      setMeterId(String(m?.id ?? id));
    } catch (e) {
      setMeterId('');
      setMeter(null);
      setError(
        /** @type {any} */ (e).status === 404
          ? t('vend.unknownMeter', { id })
          : String(/** @type {any} */ (e).message),
      );
    }
  }

  /** @param {string} path @param {Record<string, unknown>} body @param {(r: any) => void} then */
  async function call(path, body, then) {
    setBusy(true);
    setError('');
    setNote('');
    try {
      then(await api(path, { method: 'POST', body }));
    } catch (e) {
      setError(String(/** @type {any} */ (e).message));
    } finally {
      setBusy(false);
    }
  }

  const lookup = () => pick(query.trim());
  const payg = meter?.tokenScheme === 'openpaygo';
  const money = () => Number(amount.replace(',', '.'));
  const doQuote = () => call(VEND_PATHS.quote, { meterId, amount: money() }, setQuote);
  const doVend = () =>
    call(VEND_PATHS.vend, { meterId, amount: money(), requestId: requestId() }, (r) => {
      setReceipt({ ...r, title: t('vend.receipt') });
      setQuote(null);
    });

  async function share() {
    if (!receipt) return;
    const shown = receipt.payg ? formatPaygToken(receipt.token) : formatToken(receipt.token);
    const text = `${t('vend.receipt')} ${receipt.meterId} — ${t('vend.token')}: ${shown}`;
    try {
      if (navigator.share) await navigator.share({ title: 'metergate', text });
      else {
        await navigator.clipboard.writeText(text);
        setNote(t('vend.copied'));
      }
    } catch {
      /* the user closed the share sheet */
    }
  }

  return html`<section>
    <h1>${t('vend.title')}</h1>
    <div class="cols">
      <div class="grow card no-print">
        <label for="vend-search">${t('vend.search')}</label>
        <input
          id="vend-search"
          type="search"
          autocomplete="off"
          value=${query}
          onInput=${(/** @type {any} */ e) => setQuery(e.currentTarget.value)}
          onKeyDown=${(/** @type {any} */ e) => e.key === 'Enter' && void lookup()}
        />
        <button type="button" class="secondary" onClick=${lookup} disabled=${!needle}>
          ${t('vend.select')}
        </button>
        ${searched && searched === needle && !matches.length && html`<p class="muted">${t('vend.noMatch')}</p>`}
        <ul class="plain">
          ${matches.map(
            (id) =>
              html`<li key=${id}>
                <button type="button" class="secondary small" data-meter=${id} onClick=${() => void pick(id)}>
                  ${id}
                </button>
              </li>`,
          )}
        </ul>
        ${
          meterId &&
          payg &&
          html`<p data-testid="selected"><strong>${t('payg.selected', { id: meterId })}</strong></p>
            <${PaygTokenForm}
              key=${meterId}
              device=${meter}
              busy=${busy}
              onIssue=${(
                /** @type {string} */ path,
                /** @type {Record<string,unknown>} */ body,
                /** @type {string} */ title,
              ) =>
                call(path, { ...body, requestId: requestId() }, (r) =>
                  setReceipt({ ...r, title, payg: true }),
                )}
            />`
        }
        ${
          meterId &&
          !payg &&
          html`<p data-testid="selected"><strong>${t('vend.selected', { id: meterId })}</strong></p>
            <label for="vend-amount">${t('vend.amount')}</label>
            <input
              id="vend-amount"
              inputmode="decimal"
              value=${amount}
              onInput=${(/** @type {any} */ e) => setAmount(e.currentTarget.value)}
            />
            <div>
              <button type="button" class="secondary" disabled=${busy || !(money() > 0)} onClick=${doQuote}>
                ${t('vend.quote')}
              </button>
              <button type="button" disabled=${busy || !(money() > 0)} onClick=${doVend} data-testid="vend">
                ${t('vend.vend')}
              </button>
            </div>
            ${
              quote &&
              html`<p data-testid="quote">
                ${t('vend.quoteResult', { amount: fmtMoney(quote.money), units: fmtNumber(quote.units, 1) })}
              </p>`
            }
            <button
              type="button"
              class="secondary"
              disabled=${busy}
              data-testid="free-basic"
              onClick=${() =>
                call(VEND_PATHS.freeBasic(meterId), { requestId: requestId() }, (r) =>
                  setReceipt({ ...r, title: t('vend.freeBasic') }),
                )}
            >
              ${t('vend.freeBasic')}
            </button>
            <${AdvanceForm}
              meterId=${meterId}
              busy=${busy}
              onIssue=${(/** @type {Record<string,unknown>} */ body) =>
                call(VEND_PATHS.advance, { ...body, requestId: requestId() }, (r) =>
                  setReceipt({ ...r, title: t('vend.advance') }),
                )}
            />
            ${
              (session.role === 'operator' || session.role === 'admin') &&
              html`<${ManagementForm}
                  meterId=${meterId}
                  busy=${busy}
                  onIssue=${(/** @type {Record<string,unknown>} */ body) =>
                    call(VEND_PATHS.management, { ...body, requestId: requestId() }, (r) =>
                      setReceipt({ ...r, title: t('vend.management') }),
                    )}
                />
                <button
                  type="button"
                  class="secondary"
                  disabled=${busy}
                  data-testid="key-change"
                  onClick=${() =>
                    call(VEND_PATHS.keyChange(meterId), { requestId: requestId() }, (r) =>
                      setInfo(t('vend.keyChangeScheduled', { krn: r.to?.krn ?? '' })),
                    )}
                >
                  ${t('vend.keyChange')}
                </button>`
            }
            ${info && html`<p role="status" data-testid="info">${info}</p>`}`
        }
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${session.vendorId && html`<${ShiftPanel} vendorId=${session.vendorId} call=${call} busy=${busy} />`}
      </div>
      ${
        receipt &&
        html`<${Receipt}
          receipt=${receipt}
          onShare=${share}
          note=${note}
          busy=${busy}
          onReprint=${() =>
            call(VEND_PATHS.reprint(receipt.vendId), {}, (r) =>
              setReceipt({ ...r, title: t('vend.duplicate'), payg: receipt.payg }),
            )}
          onCreditNote=${
            session.role === 'operator'
              ? () => {
                  const reason = window.prompt(t('vend.creditNoteReason'));
                  if (reason)
                    void call(
                      VEND_PATHS.creditNote(receipt.vendId),
                      { requestId: requestId(), reason },
                      (r) => setReceipt({ ...r, title: t('vend.creditNoted'), payg: receipt.payg }),
                    );
                }
              : undefined
          }
          onReverse=${() =>
            window.confirm(t('vend.reverseConfirm')) &&
            call(VEND_PATHS.reverse(receipt.vendId), {}, (r) =>
              setReceipt({ ...r, title: t('vend.reversed'), payg: receipt.payg }),
            )}
        />`
      }
    </div>
    ${(session.role === 'operator' || session.role === 'admin') && html`<${OfflineAnomalies} />`}
  </section>`;
}

/**
 * @param {{ receipt: any, onShare: () => void, note: string, busy: boolean, onReprint: () => void,
 *   onReverse: () => void, onCreditNote?: () => void }} props
 */
function Receipt({ receipt, onShare, note, busy, onReprint, onReverse, onCreditNote }) {
  const r = receipt.receipt ?? {};
  const tokens =
    Array.isArray(receipt.tokens) && receipt.tokens.length
      ? receipt.tokens.map((/** @type {any} */ x) => x.digits ?? x.token ?? x)
      : [receipt.token];
  const show = receipt.payg ? formatPaygToken : formatToken;
  return html`<div class="grow receipt" data-testid="receipt" aria-live="polite">
    <h2>${receipt.title}</h2>
    ${
      receipt.duplicate &&
      html`<p class="duplicate" data-testid="duplicate">
        <strong>${receipt.duplicate.mark}</strong> — ${t('vend.copy', { n: receipt.duplicate.copy })}
      </p>`
    }
    ${r.notice && html`<p class="warning" role="alert" data-testid="reversal-notice">${r.notice}</p>`}
    ${
      r.refund !== undefined &&
      html`<p data-testid="refund">${t('vend.refund', { amount: fmtMoney(r.refund) })}</p>`
    }
    <dl class="evidence">
      <dt>${t('common.meter')}</dt>
      <dd>${receipt.meterId}</dd>
      <dt>${t('common.date')}</dt>
      <dd>${fmtDateTime(receipt.issuedAt)}</dd>
      ${
        r.money !== undefined &&
        html`<dt>${t('common.amount')}</dt>
          <dd>${fmtMoney(r.money)}</dd>`
      }
      ${
        r.debtRecovered
          ? html`<dt>${t('vend.recovered')}</dt>
              <dd>${fmtMoney(r.debtRecovered)}</dd>`
          : null
      }
      ${
        r.tokenType &&
        html`<dt>${t('payg.type')}</dt>
          <dd data-testid="payg-token-type">${t(`payg.type.${r.tokenType}`)}</dd>`
      }
      ${
        receipt.payg
          ? r.days !== undefined &&
            html`<dt>${t('payg.days')}</dt>
              <dd>${fmtNumber(r.days, 0)}</dd>`
          : r.units !== undefined &&
            html`<dt>${t('vend.units')}</dt>
              <dd>${fmtNumber(r.units, 1)} kWh</dd>`
      }
    </dl>
    <p>${t('vend.token')}</p>
    ${tokens.map((tok) => html`<p class="token" data-testid="token">${show(String(tok))}</p>`)}
    ${
      receipt.freeBasic &&
      html`<p>${t('vend.freeBasicToken', { units: fmtNumber(receipt.freeBasic.units, 1) })}</p>
        <p class="token" data-testid="fbe-token">${formatToken(String(receipt.freeBasic.token))}</p>`
    }
    <button type="button" onClick=${() => window.print()}>${t('vend.print')}</button>
    <button type="button" class="secondary" onClick=${onShare}>${t('vend.share')}</button>
    ${
      receipt.vendId &&
      receipt.kind !== 'reversal' &&
      html`<button
        type="button"
        class="secondary no-print"
        disabled=${busy}
        onClick=${onReprint}
        data-testid="reprint"
      >
        ${t('vend.reprint')}
      </button>`
    }
    ${
      receipt.kind === 'purchase' &&
      !receipt.duplicate &&
      html`<button
        type="button"
        class="secondary no-print"
        disabled=${busy}
        onClick=${onReverse}
        data-testid="reverse"
      >
        ${t('vend.reverse')}
      </button>`
    }
    ${
      receipt.kind === 'purchase' &&
      !receipt.duplicate &&
      onCreditNote &&
      html`<button
        type="button"
        class="secondary no-print"
        disabled=${busy}
        onClick=${onCreditNote}
        data-testid="credit-note"
      >
        ${t('vend.creditNote')}
      </button>`
    }
    ${note && html`<p role="status">${note}</p>`}
  </div>`;
}

/** @param {{ meterId: string, busy: boolean, onIssue: (b: Record<string, unknown>) => void }} props */
function AdvanceForm({ meterId, busy, onIssue }) {
  const [units, setUnits] = useState('');
  const n = Number(units.replace(',', '.'));
  return html`<fieldset>
    <legend>${t('vend.advance')}</legend>
    <label for="adv-units">${t('vend.advanceUnits')}</label>
    <input
      id="adv-units"
      inputmode="decimal"
      value=${units}
      onInput=${(/** @type {any} */ e) => setUnits(e.currentTarget.value)}
    />
    <button type="button" disabled=${busy || !(n > 0)} onClick=${() => onIssue({ meterId, units: n })}>
      ${t('vend.advanceGrant')}
    </button>
  </fieldset>`;
}

const ACTIONS = ['clear-credit', 'clear-tamper', 'set-max-power'];

/** @param {{ meterId: string, busy: boolean, onIssue: (b: Record<string, unknown>) => void }} props */
function ManagementForm({ meterId, busy, onIssue }) {
  const [action, setAction] = useState(ACTIONS[1]);
  const [value, setValue] = useState('');
  return html`<fieldset>
    <legend>${t('vend.management')}</legend>
    <label for="mgmt-action">${t('vend.mgmtKind')}</label>
    <select
      id="mgmt-action"
      value=${action}
      onChange=${(/** @type {any} */ e) => setAction(e.currentTarget.value)}
    >
      ${ACTIONS.map((a) => html`<option value=${a}>${t(`mgmt.${a}`)}</option>`)}
    </select>
    ${
      action === 'set-max-power' &&
      html`<label for="mgmt-value">${t('mgmt.watts')}</label>
        <input
          id="mgmt-value"
          inputmode="numeric"
          value=${value}
          onInput=${(/** @type {any} */ e) => setValue(e.currentTarget.value)}
        />`
    }
    <button
      type="button"
      disabled=${busy}
      onClick=${() =>
        onIssue({ meterId, action, ...(action === 'set-max-power' ? { value: Number(value) } : {}) })}
    >
      ${t('vend.mgmtIssue')}
    </button>
  </fieldset>`;
}

/**
 * The vendor's shift: open with the opening cash, close with the counted cash (cash-up: expected,
 * counted, variance), then the Z-report as PDF or CSV.
 * @param {{ vendorId: string, busy: boolean,
 *   call: (path: string, body: Record<string, unknown>, then: (r: any) => void) => Promise<void> }} props
 */
function ShiftPanel({ vendorId, busy, call }) {
  const [shift, setShift] = useState(/** @type {any} */ (null));
  const [cash, setCash] = useState('');
  const n = Number(cash.replace(',', '.'));
  useEffect(() => {
    let alive = true;
    api(`/api/vendors/${encodeURIComponent(vendorId)}`)
      .then((v) => alive && v?.openShiftId && setShift({ shiftId: v.openShiftId, status: 'open' }))
      .catch(() => {});
    return () => {
      alive = false;
    };
  }, [vendorId]);
  const open = shift?.status === 'open';
  return html`<fieldset class="no-print" data-testid="shift">
    <legend>${t('vend.shift')}</legend>
    <label for="shift-cash">${open ? t('vend.shiftCounted') : t('vend.shiftOpening')}</label>
    <input
      id="shift-cash"
      inputmode="decimal"
      value=${cash}
      onInput=${(/** @type {any} */ e) => setCash(e.currentTarget.value)}
    />
    ${
      open
        ? html`<button
            type="button"
            disabled=${busy || !(n >= 0) || cash === ''}
            onClick=${() => call(VEND_PATHS.closeShift(shift.shiftId), { countedCash: n }, (r) => (setShift(r), setCash('')))}
          >
            ${t('vend.shiftClose')}
          </button>`
        : html`<button
            type="button"
            disabled=${busy}
            onClick=${() => call(VEND_PATHS.openShift(vendorId), { openingCash: n > 0 ? n : 0 }, (r) => (setShift(r), setCash('')))}
          >
            ${t('vend.shiftOpen')}
          </button>`
    }
    ${
      shift?.status === 'closed' &&
      html`<p data-testid="cash-up">
          ${t('vend.cashUp', {
            expected: fmtMoney(shift.expectedCash),
            counted: fmtMoney(shift.countedCash),
            variance: fmtMoney(shift.variance),
          })}
        </p>
        <p>
          <a href=${VEND_PATHS.zReport(shift.shiftId, 'pdf')} target="_blank" rel="noopener"
            >${t('vend.zReport')} (PDF)</a
          >
          · <a href=${VEND_PATHS.zReport(shift.shiftId, 'csv')}>CSV</a>
        </p>`
    }
  </fieldset>`;
}
