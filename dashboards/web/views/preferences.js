// @ts-check
/* global FormData, location */
/**
 * A customer's notification preferences: SMS, e-mail or both, the numbers they go to, and the
 * language of the messages (French, Arabic, English). Operators open it for a customer id.
 */
import { useEffect, useState } from '../vendor/preact-hooks.js';
import { api } from '../lib/api.js';
import { html } from '../lib/html.js';
import { getLang, t } from '../lib/i18n.js';

const CHOICES = /** @type {const} */ ([
  ['sms', ['sms']],
  ['email', ['email']],
  ['both', ['sms', 'email']],
]);

/** @param {{ arg: string, session: { role: string, customerId?: string } }} props */
export function PreferencesView({ arg, session }) {
  const customerId = session.role === 'customer' ? (session.customerId ?? '') : arg;
  const [choice, setChoice] = useState('sms');
  const [language, setLanguage] = useState(getLang());
  const [smsTo, setSmsTo] = useState('');
  const [emailTo, setEmailTo] = useState('');
  const [other, setOther] = useState(
    /** @type {{ webhookUrl?: string|null, mutedKinds?: string[], channels: string[] }} */ ({ channels: [] }),
  );
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!customerId) return;
    api(`/api/customers/${encodeURIComponent(customerId)}/notification-preferences`)
      .then((p) => {
        const c = (p.channels ?? []).filter((/** @type {string} */ x) => x === 'sms' || x === 'email');
        setChoice(c.length === 2 ? 'both' : c[0] === 'email' ? 'email' : 'sms');
        setLanguage(p.language);
        setSmsTo(p.smsTo ?? '');
        setEmailTo(p.emailTo ?? '');
        setOther(p);
      })
      .catch((e) => {
        // Nothing saved yet comes back as the defaults (saved: false); an error is shown.
        setError(String(e.message));
      });
  }, [customerId]);

  async function save(/** @type {any} */ e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    setNote('');
    const picked = CHOICES.find(([k]) => k === choice)?.[1] ?? ['sms'];
    const keepsWebhook = other.channels.includes('webhook');
    try {
      await api(`/api/customers/${encodeURIComponent(customerId)}/notification-preferences`, {
        method: 'PUT',
        body: {
          language,
          channels: [...picked, ...(keepsWebhook ? ['webhook'] : [])],
          smsTo: picked.includes('sms') ? smsTo.trim() : smsTo.trim() || null,
          emailTo: picked.includes('email') ? emailTo.trim() : emailTo.trim() || null,
          ...(keepsWebhook ? { webhookUrl: other.webhookUrl } : {}),
          ...(other.mutedKinds ? { mutedKinds: other.mutedKinds } : {}),
        },
      });
      setNote(t('prefs.saved'));
    } catch (err) {
      setError(String(/** @type {any} */ (err).message));
    } finally {
      setBusy(false);
    }
  }

  if (!customerId)
    return html`<section>
      <h1>${t('prefs.title')}</h1>
      <form
        onSubmit=${(/** @type {any} */ e) => {
          e.preventDefault();
          const id = new FormData(e.currentTarget).get('customer');
          if (id) location.hash = `#/preferences/${encodeURIComponent(String(id))}`;
        }}
      >
        <label for="prefs-customer">${t('prefs.customer')}</label>
        <input id="prefs-customer" name="customer" required />
        <button type="submit">${t('common.search')}</button>
      </form>
    </section>`;

  return html`<section>
    <h1>${t('prefs.title')}</h1>
    ${error && html`<p class="error" role="alert">${t('common.error', { message: error })}</p>`}
    ${note && html`<p class="ok" role="status">${note}</p>`}
    <form onSubmit=${save} data-testid="prefs-form">
      <fieldset>
        <legend>${t('prefs.channels')}</legend>
        ${CHOICES.map(
          ([k]) =>
            html`<label class="inline">
              <input
                type="radio"
                name="channels"
                value=${k}
                checked=${choice === k}
                onChange=${() => setChoice(k)}
              />
              ${t(`prefs.${k}`)}
            </label>`,
        )}
      </fieldset>
      <label for="prefs-sms">${t('prefs.smsTo')}</label>
      <input
        id="prefs-sms"
        type="tel"
        dir="ltr"
        value=${smsTo}
        required=${choice !== 'email'}
        onInput=${(/** @type {any} */ e) => setSmsTo(e.currentTarget.value)}
      />
      <label for="prefs-email">${t('prefs.emailTo')}</label>
      <input
        id="prefs-email"
        type="email"
        dir="ltr"
        value=${emailTo}
        required=${choice !== 'sms'}
        onInput=${(/** @type {any} */ e) => setEmailTo(e.currentTarget.value)}
      />
      <label for="prefs-lang">${t('prefs.language')}</label>
      <select
        id="prefs-lang"
        value=${language}
        onChange=${(/** @type {any} */ e) => setLanguage(e.currentTarget.value)}
      >
        <option value="fr" lang="fr">Français</option>
        <option value="ar" lang="ar">العربية</option>
        <option value="en" lang="en">English</option>
      </select>
      <button type="submit" disabled=${busy}>${t('prefs.save')}</button>
    </form>
  </section>`;
}
