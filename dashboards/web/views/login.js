// @ts-check
import { useState } from '../vendor/preact-hooks.js';
import { fetchSession, setApiKey } from '../lib/api.js';
import { html } from '../lib/html.js';
import { t } from '../lib/i18n.js';

/** API-key sign-in: the key is kept in sessionStorage only (gone when the tab closes). */
export function LoginView(/** @type {{ onLogin: (s: any) => void }} */ { onLogin }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  /** @param {Event} e */
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError('');
    setApiKey(key.trim());
    try {
      onLogin(await fetchSession());
    } catch (err) {
      setApiKey('');
      setError(
        /** @type {any} */ (err).status === 401
          ? t('login.invalid')
          : t('common.error', { message: String(/** @type {any} */ (err).message) }),
      );
    } finally {
      setBusy(false);
    }
  }

  return html`<section class="card narrow">
    <h1>${t('login.title')}</h1>
    <p>${t('login.help')}</p>
    <form onSubmit=${submit}>
      <label for="apikey">${t('login.key')}</label>
      <input
        id="apikey"
        name="apikey"
        type="password"
        autocomplete="off"
        required
        value=${key}
        onInput=${(/** @type {any} */ e) => setKey(e.currentTarget.value)}
      />
      <button type="submit" disabled=${busy}>${t('login.submit')}</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form>
  </section>`;
}
