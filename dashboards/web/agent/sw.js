// @ts-check
/* global self, caches, fetch, Response, URL */
/**
 * The agent's app shell (meter readings, index.html, and offline sales, vend.html), kept on the phone: installed with every file the app needs, then served
 * from the cache first (the street has no network more often than not) while a fresh copy is
 * fetched behind it for the next start (stale-while-revalidate). The API is never cached: rounds
 * and the queue of indexes live in IndexedDB, where the app decides what is fresh.
 * Scope: this folder (/ui/agent/), the default for a worker served from it.
 */
const CACHE = 'metergate-agent-v2';
const SHELL = [
  './',
  './index.html',
  './agent.css',
  './manifest.json',
  './app.js',
  './api.js',
  './dom.js',
  './entry-form.js',
  './i18n.js',
  './offline-vend.js',
  './photo.js',
  './queue-db.js',
  './sync.js',
  './vend.html',
  './vend.js',
  './vend-db.js',
  './sealed-keys.js',
];

const sw = /** @type {any} */ (self);

sw.addEventListener('install', (/** @type {any} */ event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener('activate', (/** @type {any} */ event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener('fetch', (/** @type {any} */ event) => {
  /** @type {Request} */
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== sw.location.origin) return;
  if (!url.pathname.startsWith(new URL('./', sw.location.href).pathname)) return;
  // A page (the readings' app or vend.html) is keyed by its path: its query and hash never matter.
  const key = request.mode === 'navigate' ? new URL(url.pathname, sw.location.href).href : request;
  const refreshed = fetch(request)
    .then(async (res) => {
      if (res.ok && res.type === 'basic') await (await caches.open(CACHE)).put(key, res.clone());
      return res;
    })
    .catch(() => undefined);
  event.waitUntil(refreshed);
  event.respondWith(
    caches
      .match(key, { ignoreSearch: true })
      .then((cached) => cached ?? refreshed.then((res) => res ?? Response.error())),
  );
});
