// @ts-check
/* global document, location, navigator, window */
/**
 * The meter reader's phone app (/ui/agent/): sign in with a reader key (the reader's id comes from
 * the gateway's session) or an operator key and a typed reader id, the reader's open rounds, a round's walking order with each meter's expected range, the index typed
 * in (entry-form.js) and kept on the phone (queue-db.js) until the network is back (sync.js). The
 * service worker (sw.js) keeps the app itself, so it opens with no network too.
 */
import { SESSION, call, online, session, setReader, signIn, signOut } from './api.js';
import { field, h } from './dom.js';
import { entryForm } from './entry-form.js';
import { LANGS, LANG_NAMES, applyLang, getLang, num, setLang, t } from './i18n.js';
import { allReadings, dropRound, loadRound, loadRounds, pendingCount, saveRound } from './queue-db.js';
import { syncPending } from './sync.js';

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
/** Each render bumps it; a slower render that finishes after a newer one drops its result. */
let generation = 0;
/** Why the last sign-in was refused ('' once one holds). */
let signInProblem = '';
/** Language and message of the sign-in form on screen ('' when another view is). */
let signInShown = '';
let syncing = false;
/** A confirmation shown once at the top of the next round view. */
let flash = '';

function header() {
  /** @type {HTMLElement} */ (document.getElementById('brand')).textContent = t('brand');
  /** @type {HTMLElement} */ (document.getElementById('skip')).textContent = t('skip');
  document.title = t('brand');
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

/** Online or not, how many indexes wait on the phone, and the button to send them. */
async function syncBar() {
  const n = await pendingCount();
  const bar = /** @type {HTMLElement} */ (document.getElementById('syncbar'));
  const up = online();
  bar.replaceChildren(
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
    ...(session().key
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

async function sync() {
  if (syncing || !online()) return;
  syncing = true;
  await syncBar();
  try {
    await syncPending();
  } finally {
    syncing = false;
  }
  await render();
}

/** Signs the key out and shows the sign-in form with why (kept through later renders). */
function refuse(/** @type {string} */ reason) {
  signInProblem = reason;
  signOut();
  signInView(reason);
}

function signInView(problem = '') {
  const key = /** @type {HTMLInputElement} */ (
    h('input', { id: 'key', type: 'password', autocomplete: 'off', required: true })
  );
  // Only an operator key needs it: a reader key brings its own id (the session says which).
  const reader = /** @type {HTMLInputElement} */ (
    h('input', { id: 'reader', autocomplete: 'username', value: session().reader })
  );
  const error = h('p', { class: 'confirm', role: 'alert', 'data-testid': 'sign-in-error', text: problem });
  error.hidden = !problem;
  signInShown = `${getLang()}|${problem}`;
  main.replaceChildren(
    h('h1', { text: t('brand') }),
    h(
      'form',
      {
        class: 'card',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          signIn(key.value, reader.value);
          const refused = online() ? await whoAmI() : '';
          if (refused) return refuse(refused);
          signInProblem = '';
          void render();
        },
      },
      error,
      field(t('apiKey'), key),
      field(t('readerName'), reader, t('signInHint')),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', text: t('signIn') })),
    ),
    h('p', {}, h('a', { href: './vend.html', 'data-testid': 'to-sales', text: t('vToSales') })),
  );
}

/**
 * Asks the gateway who the key is: a reader key's reader id replaces whatever the phone holds; any
 * other key must come with a typed reader id. Answers why the sign-in fails ('' when it holds, or
 * when the gateway cannot be reached: the phone keeps what it has).
 */
async function whoAmI() {
  const me = await call('GET', SESSION);
  if (me.status === 401 || me.status === 403) return t('keyRefused');
  if (!me.ok) return '';
  if (me.data.role === 'reader' && me.data.readerId) {
    setReader(me.data.readerId);
    return '';
  }
  return session().reader ? '' : t('needReader');
}

/** Refreshes the phone's copy of the reader's open rounds; why the key is refused, else ''. */
async function refreshRounds() {
  const refused = await whoAmI();
  if (refused) return refused;
  const { reader } = session();
  const list = await call('GET', `/api/reading-rounds?reader=${encodeURIComponent(reader)}&status=open`);
  if (list.status === 401 || list.status === 403) return t('keyRefused');
  if (!list.ok) return '';
  /** @type {string[]} */
  const ids = list.data.rounds.map((/** @type {{ id: string }} */ r) => r.id);
  for (const id of ids) {
    const round = await call('GET', `/api/reading-rounds/${id}`);
    if (round.ok) await saveRound(round.data);
  }
  const pending = new Set((await allReadings()).filter((r) => r.state === 'pending').map((r) => r.round));
  for (const kept of await loadRounds()) {
    if (!ids.includes(kept.id) && !pending.has(kept.id)) await dropRound(kept.id);
  }
  return '';
}

/**
 * Each meter's state on this phone: the queued index if there is one, else the server's word.
 * @param {any} round
 */
async function meterStates(round) {
  const queued = new Map((await allReadings()).filter((r) => r.round === round.id).map((r) => [r.meter, r]));
  return round.meters.map((/** @type {any} */ m) => {
    const q = queued.get(m.meter);
    const done = q ? q.state !== 'rejected' : m.read;
    return { ...m, queued: q, done };
  });
}

async function roundsView(/** @type {number} */ gen) {
  // A render that starts while a sign-in is being checked reaches the same verdict: it keeps the
  // reason on the form instead of drawing an empty one over the sign-in's.
  const refused = online() ? await refreshRounds() : '';
  if (refused) return refuse(refused);
  const { reader } = session();
  const rounds = (await loadRounds()).filter((r) => r.reader === reader);
  const cards = [];
  for (const r of rounds.sort((a, b) => Number(b.id) - Number(a.id))) {
    const meters = await meterStates(r);
    cards.push(
      h(
        'li',
        { class: 'card', 'data-round': r.id },
        h('h2', { text: roundTitle(r) }),
        h('p', { text: t('progress', { read: meters.filter((m) => m.done).length, meters: meters.length }) }),
        h('button', {
          type: 'button',
          class: 'primary',
          text: t('openRound'),
          onclick: () => {
            location.hash = `#/round/${r.id}`;
          },
        }),
      ),
    );
  }
  if (gen !== generation) return;
  main.replaceChildren(
    h('h1', { text: t('rounds') }),
    cards.length
      ? h('ol', { class: 'rounds' }, ...cards)
      : h('p', { class: 'notice', text: online() ? t('noRounds', { reader }) : t('needNetwork') }),
  );
}

/** Period and area isolated (FSI…PDI): "2026-12" must not turn into "12-2026" in an Arabic line. */
function roundTitle(/** @type {{ period: string, area: string }} */ r) {
  return t('roundTitle', { period: `\u2068${r.period}\u2069`, area: `\u2068${r.area}\u2069` });
}

function stateText(/** @type {any} */ m) {
  const q = m.queued;
  if (!q) return m.read ? t('stateRead') : '';
  if (q.state === 'pending') return t('statePending');
  if (q.state === 'accepted') return t('stateAccepted');
  if (q.state === 'implausible') return t('stateImplausible');
  return t('stateRejected', { reason: q.reason ?? '' });
}

async function roundView(/** @type {string} */ id, /** @type {number} */ gen) {
  let fresh = false;
  if (online()) {
    const r = await call('GET', `/api/reading-rounds/${encodeURIComponent(id)}`);
    if (r.status === 401 || r.status === 403) return refuse('');
    if (r.ok) {
      await saveRound(r.data);
      fresh = true;
    }
  }
  const round = await loadRound(id);
  if (gen !== generation) return;
  const back = h('button', {
    type: 'button',
    class: 'secondary',
    text: t('backToRounds'),
    onclick: () => {
      location.hash = '';
    },
  });
  if (!round) return main.replaceChildren(back, h('p', { class: 'notice', text: t('needNetwork') }));
  const meters = await meterStates(round);
  if (gen !== generation) return;
  const items = meters.map((m) => {
    const item = h(
      'li',
      { class: `meter${m.done ? ' done' : ''} ${m.queued?.state ?? ''}`, 'data-meter': m.meter },
      h('h3', {}, h('span', { class: 'seq', text: `${m.seq}` }), ` ${m.meter}`),
      m.address ? h('p', { text: m.address }) : null,
      h('p', {
        class: 'hint',
        text:
          m.expectedMin !== null && m.expectedMax !== null
            ? t('expected', { min: num(m.expectedMin), max: num(m.expectedMax) })
            : t('noExpected'),
      }),
      m.queued && m.queued.state !== 'rejected'
        ? h('p', { class: 'typed', text: t('typedIndex', { index: num(m.queued.index) }) })
        : null,
      h('p', {
        class: `state ${m.queued?.state ?? (m.read ? 'accepted' : '')}`,
        'data-testid': 'state',
        text: stateText(m),
      }),
    );
    // An accepted or pending index is final on the phone; an implausible or refused one is read again.
    if (!m.done || m.queued?.state === 'implausible') {
      const open = h('button', {
        type: 'button',
        class: 'primary',
        'data-testid': 'read',
        text: t('read'),
        onclick: () => {
          for (const f of main.querySelectorAll('form.entry')) f.remove();
          item.append(
            entryForm(round, m, {
              onSaved: () => {
                flash = t('saved', { meter: m.meter });
                void (online() ? sync() : render());
              },
              onCancel: () => void render(),
            }),
          );
        },
      });
      item.append(open);
    }
    return item;
  });
  const message = h('p', { class: 'success', role: 'status', 'data-testid': 'flash', text: flash });
  flash = '';
  main.replaceChildren(
    back,
    h('h1', { text: roundTitle(round) }),
    ...(fresh ? [] : [h('p', { class: 'notice', text: t('fromPhone') })]),
    message,
    h('h2', { text: t('walkingOrder') }),
    h('ol', { class: 'meters' }, ...items),
  );
}

async function render() {
  const gen = ++generation;
  applyLang();
  header();
  await syncBar();
  // A newer render started while this one waited: the newer one draws the page.
  if (gen !== generation) return;
  const out = /** @type {HTMLElement} */ (document.getElementById('signout'));
  out.hidden = !session().key;
  out.textContent = t('signOut');
  // A refused key's reason stays on the form through later renders (a sync ending, a hash change).
  if (!session().key) {
    // The same form already on screen is left alone: redrawing it (a sync ending, say) would
    // wipe what is being typed into it.
    if (signInShown === `${getLang()}|${signInProblem}` && main.querySelector('#key')) return;
    return signInView(signInProblem);
  }
  const m = /^#\/round\/(\d{1,18})$/.exec(location.hash);
  if (m) return roundView(/** @type {string} */ (m[1]), gen);
  return roundsView(gen);
}

document.getElementById('signout')?.addEventListener('click', () => {
  signOut();
  location.hash = '';
  void render();
});
// The skip link moves the focus only: the hash holds the route.
document.getElementById('skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => void render());
window.addEventListener('online', () => void sync());
window.addEventListener('offline', () => void syncBar());
if ('serviceWorker' in navigator) {
  // The app shell for the next start with no network; nothing else changes if it cannot register.
  navigator.serviceWorker.register('./sw.js').catch(() => undefined);
}
await render();
if (online()) void sync();
