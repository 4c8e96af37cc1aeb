// @ts-check
/* global crypto, document, localStorage, navigator, window */
/**
 * A mobile recharge agent's offline sales (/ui/agent/vend.html, issue 22.5). With network, the
 * phone is provisioned with the vendor's key: `POST /api/vendors/:id/offline-allowances` gives a
 * pre-authorised block and, per assigned meter, its decoder key (sealed at once by sealed-keys.js)
 * and its pricing position. Then, with or without network: pick a meter, type the amount, the
 * price shows (the centre's own month pricing, offline-vend.js), the token is minted on the phone,
 * the sale and the device state are kept together in IndexedDB (vend-db.js) before the receipt
 * shows (token grouped 4-4-4-4-4, printable, an SMS link). When the network is back the pending
 * sales go to `POST /api/offline/sync`, which books each (device, seq) exactly once; each sale
 * shows the centre's answer.
 */
import { callWith, online } from './api.js';
import { field, h } from './dom.js';
import { LANGS, LANG_NAMES, applyLang, getLang, num, parseIndex, setLang, t } from './i18n.js';
import { OfflineVendingDevice, priceInMonth } from './offline-vend.js';
import { sealedSecurityModule } from './sealed-keys.js';
import {
  allSales,
  forgetDevice,
  getValue,
  loadDevice,
  putValue,
  saveAnswers,
  saveDevice,
  saveSale,
} from './vend-db.js';

/**
 * The vendor's API key stays on the phone (localStorage, as the reader's key does: the sync comes
 * after a reload with no network). It is not key material: the decoder keys are only sealed.
 */
const VENDOR_KEY = 'metergate.vend.apiKey';
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
const module = sealedSecurityModule();
/** @type {OfflineVendingDevice | undefined} */
let device;
let syncing = false;
/** The last sale, shown as a receipt until the next one. @type {import('./vend-db.js').QueuedSale | undefined} */
let receipt;
let problem = '';

const vendorKey = () => localStorage.getItem(VENDOR_KEY) ?? '';
const money = (/** @type {number} */ x) =>
  new Intl.NumberFormat(getLang() === 'en' ? 'en-GB' : 'fr-FR', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    useGrouping: getLang() !== 'ar',
  }).format(x);
const when = (/** @type {string} */ iso) =>
  new Intl.DateTimeFormat(getLang() === 'ar' ? 'ar-MA-u-nu-latn' : getLang() === 'en' ? 'en-GB' : 'fr-FR', {
    dateStyle: 'short',
    timeStyle: 'short',
  }).format(new Date(iso));
/** The token as the customer types it: five groups of four digits, kept left to right in Arabic. */
const groupToken = (/** @type {string} */ digits) => digits.replace(/(\d{4})(?=\d)/g, '$1 ');

/** This phone's device id, made once and kept with the sale counter (it outlives allowances). */
async function identity() {
  /** @type {{ deviceId: string, seq: number } | undefined} */
  const kept = await getValue('state', 'identity');
  if (kept) return kept;
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const made = {
    deviceId: `phone-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`,
    seq: 0,
  };
  await putValue('state', 'identity', made);
  return made;
}

async function keep() {
  if (!device) return;
  const state = device.snapshot();
  await saveDevice(state);
}

function header() {
  /** @type {HTMLElement} */ (document.getElementById('brand')).textContent = t('vBrand');
  /** @type {HTMLElement} */ (document.getElementById('skip')).textContent = t('skip');
  /** @type {HTMLElement} */ (document.getElementById('other-app')).textContent = t('vToReadings');
  document.title = t('vBrand');
  /** @type {HTMLElement} */ (document.getElementById('langs')).replaceChildren(
    ...LANGS.map((l) =>
      h('button', {
        type: 'button',
        lang: l,
        'aria-pressed': String(getLang() === l),
        text: LANG_NAMES[l],
        onclick: () => {
          setLang(l);
          void render();
        },
      }),
    ),
  );
}

async function syncBar() {
  const n = (await allSales()).filter((s) => s.state === 'pending').length;
  const up = online();
  /** @type {HTMLElement} */ (document.getElementById('syncbar')).replaceChildren(
    h('span', {
      class: up ? 'online' : 'offline',
      'data-testid': 'network',
      text: up ? t('online') : t('offline'),
    }),
    h(
      'span',
      { 'data-testid': 'pending', 'data-count': n },
      syncing ? t('syncing') : n ? t('pending', { n }) : t('allSynced'),
    ),
    // replaceChildren would write a null out as the text "null".
    ...(device
      ? [
          h('button', {
            type: 'button',
            class: 'secondary',
            'data-testid': 'sync',
            disabled: !up || !n || syncing,
            text: t('sync'),
            onclick: () => void sync(),
          }),
        ]
      : []),
  );
}

/**
 * Send the pending sales in one batch. Safe to repeat: the centre answers a sale it already booked
 * as a duplicate. A failed network or a server error leaves them pending for the next try.
 */
async function sync() {
  if (syncing || !online() || !device) return;
  const pending = (await allSales()).filter((s) => s.state === 'pending').sort((a, b) => a.seq - b.seq);
  if (!pending.length) return;
  syncing = true;
  await syncBar();
  try {
    const allowanceId = pending[0]?.allowanceId;
    const batch = pending.filter((s) => s.allowanceId === allowanceId);
    const res = await callWith(vendorKey(), 'POST', '/api/offline/sync', {
      allowanceId,
      deviceId: device.deviceId,
      vends: batch.map(({ seq, meterId, amount, units, tid, token, soldAt }) => ({
        seq,
        meterId,
        amount,
        units,
        tid,
        token,
        soldAt,
      })),
    });
    if (!res.ok) {
      problem =
        res.status === 0 || res.status >= 500
          ? t('vSyncFailed')
          : (res.data?.message ?? `HTTP ${res.status}`);
      return;
    }
    problem = '';
    /** @type {Map<number, { seq: number, status: string, expectedUnits?: number }>} */
    const answers = new Map(res.data.outcomes.map((/** @type {any} */ o) => [o.seq, o]));
    device.acknowledge([...answers.keys()]);
    const answered = batch
      .filter((s) => answers.has(s.seq))
      .map((s) => {
        const o = /** @type {{ status: any, expectedUnits?: number }} */ (answers.get(s.seq));
        return {
          ...s,
          state: o.status,
          ...(o.expectedUnits !== undefined ? { expectedUnits: o.expectedUnits } : {}),
        };
      });
    await saveAnswers(device.snapshot(), answered);
  } finally {
    syncing = false;
    await render();
  }
}

function setUpView() {
  const key = /** @type {HTMLInputElement} */ (
    h('input', {
      id: 'vendor-key',
      type: 'password',
      autocomplete: 'off',
      required: true,
      value: vendorKey(),
    })
  );
  const block = /** @type {HTMLInputElement} */ (
    h('input', { id: 'block', inputmode: 'decimal', required: true })
  );
  const meters = /** @type {HTMLInputElement} */ (
    h('input', { id: 'meters', autocomplete: 'off', required: true })
  );
  const hours = /** @type {HTMLInputElement} */ (
    h('input', { id: 'hours', type: 'number', min: '1', max: '336', value: '24' })
  );
  const error = h('p', { class: 'confirm', role: 'alert', 'data-testid': 'error', text: problem });
  error.hidden = !problem;
  main.replaceChildren(
    h('h1', { text: t('vSetUp') }),
    h(
      'form',
      {
        class: 'card',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          void provision(
            key.value.trim(),
            parseIndex(block.value),
            meters.value.split(/[\s,;]+/).filter(Boolean),
            Number(hours.value) || 24,
          );
        },
      },
      h('p', { class: 'hint', text: t('vSetUpHint') }),
      error,
      field(t('apiKey'), key),
      field(t('vBlock'), block),
      field(t('vMeters'), meters),
      field(t('vHours'), hours),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'submit', class: 'primary', 'data-testid': 'provision', text: t('vProvision') }),
      ),
    ),
  );
}

/**
 * @param {string} key
 * @param {number | undefined} amount
 * @param {string[]} meterIds
 * @param {number} hours
 */
async function provision(key, amount, meterIds, hours) {
  if (!online()) return fail(t('vNeedNetwork'));
  if (!amount || amount <= 0 || !meterIds.length) return fail(t('vBadBlock'));
  const me = await callWith(key, 'GET', '/api/session');
  if (!me.ok) return fail(me.status === 0 ? t('vNeedNetwork') : t('keyRefused'));
  if (me.data.role !== 'vendor' || !me.data.vendorId) return fail(t('vNotVendor'));
  localStorage.setItem(VENDOR_KEY, key);
  const id = await identity();
  const res = await callWith(
    key,
    'POST',
    `/api/vendors/${encodeURIComponent(me.data.vendorId)}/offline-allowances`,
    {
      requestId: `${id.deviceId}-${Date.now()}`,
      deviceId: id.deviceId,
      amount,
      meterIds,
      hours,
    },
  );
  if (!res.ok)
    return fail(res.data?.message ?? (res.status === 0 ? t('vNeedNetwork') : `HTTP ${res.status}`));
  const allowance = res.data;
  // The keys go into the sealed store and leave the answer; the sale counter goes on.
  const fresh = new OfflineVendingDevice(id.deviceId, module);
  await module.wipe();
  await fresh.provision(allowance);
  for (const m of allowance.meters) delete m.decoderKey;
  device = OfflineVendingDevice.restore({ ...fresh.snapshot(), seq: id.seq }, module);
  await keep();
  problem = '';
  receipt = undefined;
  await render();
}

function fail(/** @type {string} */ why) {
  problem = why;
  void render();
}

/** Why the device refused a sale, in the agent's language. */
function refusal(/** @type {unknown} */ err) {
  const msg = err instanceof Error ? err.message : String(err);
  if (/exhausted/.test(msg)) return t('vExhausted', { amount: money(device?.remaining ?? 0) });
  if (/expired/.test(msg)) return t('vExpired');
  if (/no units|must be positive/.test(msg)) return t('vNoUnits');
  return t('vFailed', { reason: msg });
}

async function sell(/** @type {string} */ meterId, /** @type {number} */ amount) {
  if (!device) return;
  try {
    const v = await device.sellAsync(meterId, amount, new Date());
    const state = device.snapshot();
    const sale = /** @type {import('./vend-db.js').QueuedSale} */ ({
      key: `${device.deviceId}:${v.seq}`,
      deviceId: device.deviceId,
      allowanceId: state.allowance.allowanceId,
      ...v,
      state: 'pending',
    });
    // On disk (sale and device state together) before the receipt is shown.
    await saveSale(state, sale);
    receipt = sale;
    problem = '';
  } catch (err) {
    problem = refusal(err);
  }
  await render();
  if (receipt && online()) void sync();
}

function quoteOf(/** @type {any} */ meter, /** @type {number | undefined} */ amount) {
  if (!meter || !amount || amount <= 0) return t('vQuoteEmpty');
  const b = priceInMonth(
    {
      definition: meter.tariff,
      position: meter.position,
      debtCents: 0,
      policy: { mode: 'full' },
      social: meter.social,
    },
    new Date(),
    { moneyCents: Math.round(amount * 100) },
  );
  if (b.energy.tenths < 1) return t('vNoUnits');
  return t('vQuote', {
    units: num(b.energy.tenths / 10),
    amount: money(amount),
    tax: money(b.taxCents / 100),
    fixed: money(b.fixedCents / 100),
  });
}

function receiptCard(/** @type {import('./vend-db.js').QueuedSale} */ s) {
  const at = when(s.soldAt);
  const phone = /** @type {HTMLInputElement} */ (
    h('input', { id: 'sms-to', type: 'tel', autocomplete: 'off' })
  );
  const sms = /** @type {HTMLAnchorElement} */ (
    h('a', { class: 'button secondary', 'data-testid': 'sms', text: t('vSms') })
  );
  const body = t('vSmsBody', {
    meter: s.meterId,
    units: num(s.units),
    amount: money(s.amount),
    token: groupToken(s.token),
    device: s.deviceId,
    seq: s.seq,
    at,
  });
  const link = () => {
    sms.href = `sms:${encodeURIComponent(phone.value.replace(/[^\d+]/g, ''))}?body=${encodeURIComponent(body)}`;
  };
  phone.addEventListener('input', link);
  link();
  return h(
    'section',
    { class: 'card receipt', 'data-testid': 'receipt', 'aria-labelledby': 'receipt-title' },
    h('h2', { id: 'receipt-title', text: t('vReceipt') }),
    h('p', { class: 'token', dir: 'ltr', 'data-testid': 'token', text: groupToken(s.token) }),
    h('p', { text: t('vReceiptMeter', { meter: s.meterId }) }),
    h('p', { text: t('vReceiptAmount', { amount: money(s.amount) }) }),
    h('p', { 'data-testid': 'units', text: t('vReceiptUnits', { units: num(s.units) }) }),
    h('p', { class: 'hint', text: t('vReceiptSale', { seq: s.seq, device: s.deviceId, tid: s.tid }) }),
    h('p', { class: 'hint', text: t('vReceiptAt', { at }) }),
    h('div', { class: 'no-print' }, field(t('vSmsTo'), phone)),
    h(
      'div',
      { class: 'actions no-print' },
      sms,
      h('button', { type: 'button', class: 'secondary', text: t('vPrint'), onclick: () => window.print() }),
      h('button', {
        type: 'button',
        class: 'primary',
        text: t('vNewSale'),
        onclick: () => {
          receipt = undefined;
          void render();
        },
      }),
    ),
  );
}

const STATE_TEXT = /** @type {const} */ ({
  pending: 'vPending',
  accepted: 'vAccepted',
  duplicate: 'vDuplicate',
  overspend: 'vOverspend',
  'price-mismatch': 'vPriceMismatch',
  conflict: 'vConflict',
  'unknown-meter': 'vUnknownMeter',
  'tid-used': 'vTidUsed',
});

function saleItem(/** @type {import('./vend-db.js').QueuedSale} */ s) {
  return h(
    'li',
    { class: `meter sale ${s.state}`, 'data-seq': s.seq },
    h(
      'h3',
      {},
      h('span', { class: 'seq', text: `${s.seq}` }),
      ` ${t('vSaleLine', { meter: s.meterId, amount: money(s.amount), units: num(s.units) })}`,
    ),
    h('p', { class: 'token small', dir: 'ltr', text: groupToken(s.token) }),
    h('p', {
      class: `state ${s.state === 'pending' ? 'pending' : /conflict|unknown|tid/.test(s.state) ? 'rejected' : s.state === 'accepted' || s.state === 'duplicate' ? 'accepted' : 'implausible'}`,
      'data-testid': 'sale-state',
      'data-state': s.state,
      text: t(STATE_TEXT[s.state], { units: s.expectedUnits !== undefined ? num(s.expectedUnits) : '' }),
    }),
  );
}

async function sellView() {
  const d = /** @type {OfflineVendingDevice} */ (device);
  const state = d.snapshot();
  const sales = (await allSales()).sort((a, b) => b.seq - a.seq);
  const meter = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { id: 'meter', required: true },
      ...state.meters.map((m) => h('option', { value: m.meterId, text: m.meterId })),
    )
  );
  const amount = /** @type {HTMLInputElement} */ (
    h('input', { id: 'amount', inputmode: 'decimal', autocomplete: 'off', required: true })
  );
  const quote = h('p', {
    id: 'quote',
    class: 'hint',
    'aria-live': 'polite',
    'data-testid': 'quote',
    text: t('vQuoteEmpty'),
  });
  const update = () => {
    quote.textContent = quoteOf(
      state.meters.find((m) => m.meterId === meter.value),
      parseIndex(amount.value),
    );
  };
  meter.addEventListener('change', update);
  amount.addEventListener('input', update);
  const error = h('p', { class: 'confirm', role: 'alert', 'data-testid': 'error', text: problem });
  error.hidden = !problem;
  const pending = sales.some((s) => s.state === 'pending');
  main.replaceChildren(
    h('h1', { text: t('vSell') }),
    h(
      'p',
      { class: 'notice', 'data-testid': 'remaining', 'data-amount': d.remaining },
      t('vRemaining', { amount: money(d.remaining) }),
      ' — ',
      t('vValidUntil', { at: when(state.allowance.expiresAt) }),
    ),
    error,
    receipt
      ? receiptCard(receipt)
      : h(
          'form',
          {
            class: 'card',
            onsubmit: (/** @type {Event} */ e) => {
              e.preventDefault();
              const button = /** @type {HTMLButtonElement} */ (main.querySelector('[data-testid=sell]'));
              button.disabled = true;
              const a = parseIndex(amount.value);
              if (!a) {
                problem = t('vNoUnits');
                void render();
                return;
              }
              void sell(meter.value, a);
            },
          },
          field(t('vMeter'), meter),
          field(t('vAmount'), amount),
          quote,
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'submit', class: 'primary', 'data-testid': 'sell', text: t('vSellButton') }),
          ),
        ),
    h('h2', { text: t('vSales') }),
    sales.length
      ? h('ol', { class: 'meters sales' }, ...sales.map(saleItem))
      : h('p', { class: 'hint', text: t('vNoSales') }),
    h(
      'div',
      { class: 'actions' },
      h('button', {
        type: 'button',
        class: 'secondary',
        'data-testid': 'forget',
        text: t('vForget'),
        onclick: async () => {
          if (pending) return fail(t('vForgetPending'));
          // With network, the allowance is closed too: what was not sold goes back to the float.
          // Without, the keys still go; the vendor or an operator closes it later.
          if (online()) {
            await callWith(
              vendorKey(),
              'POST',
              `/api/offline-allowances/${encodeURIComponent(state.allowance.allowanceId)}/close`,
            );
          }
          await module.wipe();
          await forgetDevice();
          device = undefined;
          receipt = undefined;
          void render();
        },
      }),
    ),
  );
}

async function render() {
  applyLang();
  header();
  await syncBar();
  if (device) return sellView();
  return setUpView();
}

document.getElementById('skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener('online', () => void sync().then(syncBar));
window.addEventListener('offline', () => void syncBar());
if ('serviceWorker' in navigator) navigator.serviceWorker.register('./sw.js').catch(() => undefined);

const kept = await loadDevice();
if (kept) device = OfflineVendingDevice.restore(kept, module);
await render();
if (online()) void sync();
