// @ts-check
/* global addEventListener, document, location, removeEventListener */
/**
 * The dashboards single-page app: hash routes, language switch, API-key login. Views are lazy
 * modules so the fleet view's first paint loads only what it needs.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, getApiKey, paths, prefetch, setApiKey } from './lib/api.js';
import { html } from './lib/html.js';
import { getLang, onLanguageChange, setLang, t } from './lib/i18n.js';
import { LoginView } from './views/login.js';
import { FleetView } from './views/fleet.js';

/** @typedef {{ role: 'admin'|'operator'|'vendor'|'customer', id: string, vendorId?: string, customerId?: string }} Session */

/** @type {Record<string, () => Promise<any>>} */
const LAZY = {
  meter: () => import('./views/meter.js').then((m) => m.MeterView),
  vend: () => import('./views/vending.js').then((m) => m.VendingView),
  customer: () => import('./views/customer.js').then((m) => m.CustomerView),
};

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { name: parts[0] || '', arg: parts[1] ?? '' };
}

/** @param {Session} s */
function homeOf(s) {
  if (s.role === 'customer') return 'customer';
  if (s.role === 'vendor') return 'vend';
  return 'fleet';
}

/** @param {Session} s */
function navOf(s) {
  /** @type {[string, string][]} */
  const items = [];
  if (s.role === 'admin' || s.role === 'operator') items.push(['fleet', 'nav.fleet']);
  if (s.role !== 'customer') items.push(['vend', 'nav.vend']);
  if (s.role !== 'vendor') items.push(['customer', 'nav.customer']);
  return items;
}

function LazyView(/** @type {{ name: string, arg: string, session: Session }} */ props) {
  const [Comp, setComp] = useState(/** @type {any} */ (null));
  useEffect(() => {
    let alive = true;
    setComp(null);
    LAZY[props.name]?.().then((c) => alive && setComp(() => c));
    return () => {
      alive = false;
    };
  }, [props.name]);
  return Comp
    ? html`<${Comp} arg=${props.arg} session=${props.session} />`
    : html`<p aria-busy="true">${t('common.loading')}</p>`;
}

function App() {
  const [, setTick] = useState(0);
  const [route, setRoute] = useState(parseRoute());
  const [session, setSession] = useState(/** @type {Session|null} */ (null));
  const [checking, setChecking] = useState(Boolean(getApiKey()));

  useEffect(() => onLanguageChange(() => setTick((n) => n + 1)), []);
  useEffect(() => {
    const f = () => setRoute(parseRoute());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  useEffect(() => {
    if (!getApiKey()) return;
    api(paths.session)
      .then((s) => setSession(s))
      .catch(() => setApiKey(''))
      .finally(() => setChecking(false));
  }, []);

  /** @param {Session} s */
  const onLogin = (s) => {
    setSession(s);
    if (!route.name) location.hash = `#/${homeOf(s)}`;
  };
  const logout = () => {
    setApiKey('');
    setSession(null);
  };

  const name = route.name || (session ? homeOf(session) : '');
  const langSwitch = html`<div class="lang" role="group" aria-label=${t('lang.label')}>
    ${['fr', 'en'].map(
      (l) =>
        html`<button
          type="button"
          lang=${l}
          aria-pressed=${getLang() === l}
          onClick=${() => setLang(/** @type {'fr'|'en'} */ (l))}
        >
          ${l === 'fr' ? 'Français' : 'English'}
        </button>`,
    )}
  </div>`;

  let main;
  if (checking) main = html`<p aria-busy="true">${t('common.loading')}</p>`;
  else if (!session) main = html`<${LoginView} onLogin=${onLogin} />`;
  else if (name === 'fleet') main = html`<${FleetView} session=${session} />`;
  else if (LAZY[name])
    main = html`<${LazyView} key=${name} name=${name} arg=${route.arg} session=${session} />`;
  else main = html`<p>${t('common.notFound')}</p>`;

  return html`
    <a class="skip" href="#main">${t('common.skip')}</a>
    <header class="top">
      <span class="brand">metergate</span>
      ${
        session &&
        html`<nav aria-label=${t('nav.label')}>
          ${navOf(session).map(
            ([id, key]) =>
              html`<a href=${`#/${id}`} aria-current=${name === id ? 'page' : undefined}>${t(key)}</a>`,
          )}
        </nav>`
      }
      <span class="spacer"></span>
      ${langSwitch}
      ${
        session &&
        html`<span class="who">${t(`role.${session.role}`)}</span>
          <button type="button" class="link" onClick=${logout}>${t('login.logout')}</button>`
      }
    </header>
    <main id="main" tabindex="-1">${main}</main>
  `;
}

document.documentElement.lang = getLang();
// Signed in already and opening the fleet: fetch the meter list while the session is checked.
if (getApiKey() && ['', 'fleet'].includes(parseRoute().name)) prefetch(paths.meters);
render(html`<${App} />`, /** @type {HTMLElement} */ (document.getElementById('app')));
