// @ts-check
/**
 * The "auto-relevé": the customer types the index shown on the meter. The gateway checks it for
 * plausibility; a refusal is explained in plain words (the server's reason code, translated; the
 * server's own message when the code is new to this page).
 */
import { useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { fmtNumber, getLang, t } from '../lib/i18n.js';

/** @param {{ meterId: string, obis: string }} props */
export function SelfReadingForm({ meterId, obis }) {
  const [value, setValue] = useState('');
  const [result, setResult] = useState(/** @type {{ ok: boolean, text: string }|null} */ (null));
  const [busy, setBusy] = useState(false);

  /** @param {Event} e */
  async function submit(e) {
    e.preventDefault();
    setResult(null);
    // Accept the decimal comma French users type.
    const n = Number(value.replace(/\s/g, '').replace(',', '.'));
    if (!Number.isFinite(n) || n < 0) {
      setResult({ ok: false, text: t('customer.refused', { reason: t('refusal.notANumber') }) });
      return;
    }
    setBusy(true);
    try {
      await api(`/api/meters/${encodeURIComponent(meterId)}/self-readings`, {
        method: 'POST',
        body: { index: n, obis, readAt: new Date().toISOString() },
      });
      setResult({ ok: true, text: t('customer.accepted') });
      setValue('');
    } catch (err) {
      const e2 = /** @type {any} */ (err);
      setResult({ ok: false, text: t('customer.refused', { reason: explain(e2, n) }) });
    } finally {
      setBusy(false);
    }
  }

  return html`<section aria-labelledby="sr-h">
    <h2 id="sr-h">${t('customer.selfReading')}</h2>
    <p>${t('customer.selfReadingHelp')}</p>
    <form onSubmit=${submit} data-testid="self-reading">
      <label for="sr-value">${t('customer.index')}</label>
      <input
        id="sr-value"
        inputmode="decimal"
        autocomplete="off"
        required
        value=${value}
        onInput=${(/** @type {any} */ e) => setValue(e.currentTarget.value)}
      />
      <button type="submit" disabled=${busy}>${t('customer.send')}</button>
    </form>
    ${result && html`<p role="status" class=${result.ok ? 'success' : 'refusal'} data-testid="self-reading-result">${result.text}</p>`}
  </section>`;
}

/**
 * A refusal → a sentence: the gateway's own explanation in the page's language (422 body
 * `reason.message.fr|en`, with the figures that make it actionable), else a translated text for
 * the code, else the error message.
 * @param {any} err @param {number} value
 */
function explain(err, value) {
  const localized = err.body?.reason?.message?.[getLang()];
  if (typeof localized === 'string') return localized;
  const key = `refusal.${err.code}`;
  const text = t(key, { value: fmtNumber(value, 1) });
  return text === key ? String(err.message) : text;
}
