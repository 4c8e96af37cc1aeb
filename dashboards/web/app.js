// @ts-check
/* global addEventListener, document, location, removeEventListener */
/**
 * The dashboards single-page app: hash routes, language switch, API-key login. Views are lazy
 * modules so the fleet view's first paint loads only what it needs.
 */
import { render } from './vendor/preact.js';
import { useEffect, useState } from './vendor/preact-hooks.js';
import { fetchSession, getApiKey, paths, prefetch, roleHint, setApiKey } from './lib/api.js';
import { html } from './lib/html.js';
import { UI_LANGUAGES, applyLang, getLang, onLanguageChange, setLang, t } from './lib/i18n.js';
import { LoginView } from './views/login.js';
import { FleetView } from './views/fleet.js';

/** @typedef {{ role: 'admin'|'operator'|'vendor'|'customer'|'reader', id: string, vendorId?: string, customerId?: string, readerId?: string }} Session */

/** @type {Record<string, () => Promise<any>>} */
const LAZY = {
  meter: () => import('./views/meter.js').then((m) => m.MeterView),
  vend: () => import('./views/vending.js').then((m) => m.VendingView),
  customer: () => import('./views/customer.js').then((m) => m.CustomerView),
  outbox: () => import('./views/outbox.js').then((m) => m.OutboxView),
  billing: () => import('./views/billing.js').then((m) => m.BillingView),
  preferences: () => import('./views/preferences.js').then((m) => m.PreferencesView),
  map: () => import('./views/map.js').then((m) => m.MapView),
};

/**
 * Which roles may open each page (admin: all). A page outside its role shows "not allowed" at once,
 * before any of its requests or live streams start.
 * @type {Record<string, string[]>}
 */
const ROUTE_ROLES = {
  fleet: ['operator'],
  meter: ['operator', 'customer'],
  vend: ['operator', 'vendor'],
  customer: ['operator', 'customer'],
  outbox: ['operator'],
  billing: ['operator'],
  preferences: ['operator', 'customer'],
  map: ['operator'],
  agent: ['operator', 'reader'],
};

/**
 * The meter reader's phone app lives outside this SPA (/ui/agent/: its own offline shell and key
 * store); #/agent only points there, and is a reader's home.
 */
/** The phone app, relative to this page (/ui/ → /ui/agent/). */
const AGENT_APP = './agent/';

/** @param {Session} s @param {string} route */
export function mayOpen(s, route) {
  return s.role === 'admin' || (ROUTE_ROLES[route] ?? []).includes(s.role);
}

const LANGUAGE_NAMES = { fr: 'Français', ar: 'العربية', en: 'English' };

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  return { name: parts[0] || '', arg: parts[1] ?? '' };
}

/** @param {Session} s */
function homeOf(s) {
  if (s.role === 'customer') return 'customer';
  if (s.role === 'vendor') return 'vend';
  if (s.role === 'reader') return 'agent';
  return 'fleet';
}

/** @param {Session} s */
function navOf(s) {
  /** @type {[string, string][]} */
  const items = [];
  /** @type {[string, string][]} */
  const all = [
    ['fleet', 'nav.fleet'],
    ['map', 'nav.map'],
    ['vend', 'nav.vend'],
    ['customer', 'nav.customer'],
    ['outbox', 'nav.outbox'],
    ['billing', 'nav.billing'],
    ['preferences', 'nav.preferences'],
    ['agent', 'nav.agent'],
  ];
  for (const item of all) if (mayOpen(s, item[0])) items.push(item);
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

/** @param {{ session: Session }} props */
function NotAllowed({ session }) {
  return html`<section class="forbidden" data-testid="not-allowed">
    <h1>${t('forbidden.title')}</h1>
    <p role="alert">${t('forbidden.text', { role: t(`role.${session.role}`) })}</p>
    <p><a href=${`#/${homeOf(session)}`}>${t('forbidden.home')}</a></p>
  </section>`;
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
    fetchSession()
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
    ${UI_LANGUAGES.map(
      (l) =>
        html`<button type="button" lang=${l} aria-pressed=${getLang() === l} onClick=${() => setLang(l)}>
          ${LANGUAGE_NAMES[l]}
        </button>`,
    )}
  </div>`;

  let main;
  if (checking) main = html`<p aria-busy="true">${t('common.loading')}</p>`;
  else if (!session) main = html`<${LoginView} onLogin=${onLogin} />`;
  else if ((name === 'fleet' || name === 'agent' || LAZY[name]) && !mayOpen(session, name))
    main = html`<${NotAllowed} session=${session} />`;
  else if (name === 'agent')
    main = html`<section data-testid="agent-link">
      <h1>${t('nav.agent')}</h1>
      <p>${t('agent.text')}</p>
      <p><a href=${AGENT_APP}>${t('agent.open')}</a></p>
    </section>`;
  else if (name === 'fleet') main = html`<${FleetView} session=${session} />`;
  else if (LAZY[name])
    // Keyed by page and argument: another meter is a fresh view, never the previous one's data.
    main = html`<${LazyView}
      key=${`${name}/${route.arg}`}
      name=${name}
      arg=${route.arg}
      session=${session}
    />`;
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
              // The reader's app is another page: linked directly, not through #/agent.
              html`<a
                href=${id === 'agent' ? AGENT_APP : `#/${id}`}
                aria-current=${name === id ? 'page' : undefined}
                >${t(key)}</a
              >`,
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

applyLang();
// Signed in already and opening the fleet: fetch the meter list while the session is checked, for a
// role that may see it (the last session's role: a vendor or customer would only be refused).
const hint = /** @type {Session} */ ({ role: roleHint(), id: '' });
if (getApiKey() && ['', 'fleet'].includes(parseRoute().name) && mayOpen(hint, 'fleet'))
  prefetch(paths.meters);
render(html`<${App} />`, /** @type {HTMLElement} */ (document.getElementById('app')));
