// @ts-check
import { ERROR_MESSAGES } from './error-messages.js';
import { getLang } from './i18n.js';
import { createSseParser } from './sse.js';
/* global AbortController, TextDecoderStream, URL, URLSearchParams, document, fetch, sessionStorage, setTimeout */
/**
 * The gateway API as the browser sees it: every call carries the API key from sessionStorage in
 * `x-api-key` (never in the URL, so it stays out of logs and history) and the page's language in
 * Accept-Language, so the gateway renders its error messages in it. Errors arrive in the gateway's
 * one shape `{ statusCode, code, message, details? }`; a code without a message is looked up in the
 * UI's own catalogue (lib/error-messages.js, generated from the gateway's registry).
 */

const KEY_STORAGE = 'metergate.apiKey';

export function getApiKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return '';
  }
}

/** @param {string} key */
export function setApiKey(key) {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else {
    sessionStorage.removeItem(KEY_STORAGE);
    sessionStorage.removeItem(ROLE_STORAGE);
  }
}

const ROLE_STORAGE = 'metergate.role';

/**
 * The role of the key, as the last session check answered: only a hint, so that a reload may start
 * the fleet list's request before the session check without asking it of a role that may not have it.
 * The gateway decides, every time.
 */
export function roleHint() {
  try {
    return sessionStorage.getItem(ROLE_STORAGE) ?? '';
  } catch {
    return '';
  }
}

/** The session of the key (`GET /api/session`); remembers its role as the hint. @returns {Promise<any>} */
export async function fetchSession() {
  const s = await api(paths.session);
  if (s && typeof s.role === 'string') sessionStorage.setItem(ROLE_STORAGE, s.role);
  return s;
}

export class ApiError extends Error {
  /** @param {number} status @param {string} code @param {string} message @param {any} [body] the whole error body */
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/**
 * The code and the text to show for an error answer (the current shape, or the older
 * `{ error: { code, message } }`).
 * @param {any} body @param {'fr'|'ar'|'en'} lang @param {string} fallback
 * @returns {{ code: string, message: string }}
 */
export function errorMessage(body, lang, fallback) {
  const e =
    body && typeof body === 'object'
      ? body.error && typeof body.error === 'object'
        ? body.error
        : body
      : {};
  const code = typeof e.code === 'string' ? e.code : 'HTTP_ERROR';
  if (typeof e.message === 'string' && e.message) return { code, message: e.message };
  const known = /** @type {Record<string,string>} */ (ERROR_MESSAGES[lang] ?? {})[code];
  return { code, message: known ? known.replace(/\{\w+\}/g, '…') : fallback };
}

/** Request headers every call carries. @returns {Record<string,string>} */
function baseHeaders() {
  return { 'x-api-key': getApiKey(), 'accept-language': getLang() };
}

/**
 * @param {string} path
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  /** @type {Record<string,string>} */
  const headers = { ...baseHeaders(), accept: 'application/json' };
  let body;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(path, { method: options.method ?? 'GET', headers, body, signal: options.signal });
  const text = await res.text();
  /** @type {any} */
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = errorMessage(data, getLang(), res.statusText || `HTTP ${res.status}`);
    throw new ApiError(
      res.status,
      err.code === 'HTTP_ERROR' ? `HTTP_${res.status}` : err.code,
      err.message,
      data,
    );
  }
  return data;
}

/** @type {Map<string, Promise<any>>} */
const prefetched = new Map();

/**
 * Starts a GET now so it runs in parallel with the session check; the view that needs it takes the
 * promise with `takePrefetched` (once). Used for the fleet list, the first paint's critical request.
 * @param {string} path
 */
export function prefetch(path) {
  const p = api(path);
  p.catch(() => {
    /* the view reports it when it takes the promise */
  });
  prefetched.set(path, p);
}

/** @param {string} path @returns {Promise<any>} */
export function takePrefetched(path) {
  const p = prefetched.get(path);
  prefetched.delete(path);
  return p ?? api(path);
}

/**
 * Fetches a file with the key header and hands it to the browser as a download.
 * @param {string} path @param {string} filename
 */
export async function download(path, filename) {
  const res = await fetch(path, { headers: baseHeaders() });
  if (!res.ok) {
    let body = null;
    try {
      body = await res.json();
    } catch {
      /* not JSON */
    }
    const err = errorMessage(body, getLang(), res.statusText);
    throw new ApiError(res.status, err.code, err.message, body);
  }
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Server-sent events over fetch: EventSource cannot send the API key header, so the stream is read
 * here and parsed by lib/sse.js. Reconnects with backoff until `close()`, except after 401/403:
 * the caller may not watch this stream, and asking again would only repeat the refusal.
 * @param {string} path
 * @param {{ onEvent: (type: string, data: any) => void, onStatus?: (connected: boolean) => void, onDenied?: (status: number) => void }} handlers
 */
export function openEventStream(path, handlers) {
  let closed = false;
  /** @type {AbortController|undefined} */
  let controller;
  let delay = 500;

  async function run() {
    while (!closed) {
      controller = new AbortController();
      try {
        const res = await fetch(path, {
          headers: { ...baseHeaders(), accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (res.status === 401 || res.status === 403) {
          closed = true;
          handlers.onStatus?.(false);
          handlers.onDenied?.(res.status);
          return;
        }
        if (!res.ok || !res.body) throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText);
        handlers.onStatus?.(true);
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const push = createSseParser(dispatch);
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          push(value);
        }
      } catch {
        /* network error or abort: fall through to reconnect */
      }
      if (closed) break;
      handlers.onStatus?.(false);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10_000);
    }
  }

  /** @param {string} type @param {string} raw */
  function dispatch(type, raw) {
    let data;
    try {
      data = JSON.parse(raw);
    } catch {
      return;
    }
    handlers.onEvent(type, data);
  }

  void run();
  return {
    close() {
      closed = true;
      controller?.abort();
    },
  };
}

/** Paths of the gateway API, in one place so a renamed route is one edit. */
export const paths = {
  session: '/api/session',
  meters: '/api/meters',
  /** @param {string} id @param {Record<string,string>} q */
  readings: (id, q) => `/api/meters/${encodeURIComponent(id)}/readings?${new URLSearchParams(q)}`,
  /** @param {string} id @param {Record<string,string>} q */
  consumption: (id, q) => `/api/meters/${encodeURIComponent(id)}/consumption?${new URLSearchParams(q)}`,
  live: '/api/live',
};
