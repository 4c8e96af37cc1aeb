// @ts-check
import { createSseParser } from './sse.js';
/* global AbortController, TextDecoderStream, URL, URLSearchParams, document, fetch, sessionStorage, setTimeout */
/**
 * The gateway API as the browser sees it: every call carries the API key from sessionStorage in
 * `x-api-key` (never in the URL, so it stays out of logs and history). Errors arrive in the
 * gateway's one shape `{ error: { code, message } }`.
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
  else sessionStorage.removeItem(KEY_STORAGE);
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
 * @param {string} path
 * @param {{ method?: string, body?: unknown, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
 */
export async function api(path, options = {}) {
  /** @type {Record<string,string>} */
  const headers = { accept: 'application/json', 'x-api-key': getApiKey() };
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
    const err = data && data.error ? data.error : {};
    throw new ApiError(res.status, err.code ?? `HTTP_${res.status}`, err.message ?? res.statusText, data);
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
  const res = await fetch(path, { headers: { 'x-api-key': getApiKey() } });
  if (!res.ok) {
    let message = res.statusText;
    try {
      message = (await res.json()).error.message;
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, `HTTP_${res.status}`, message);
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
 * here and parsed by lib/sse.js. Reconnects with backoff until `close()`.
 * @param {string} path
 * @param {{ onEvent: (type: string, data: any) => void, onStatus?: (connected: boolean) => void }} handlers
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
          headers: { accept: 'text/event-stream', 'x-api-key': getApiKey() },
          signal: controller.signal,
        });
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
  /** @param {string} id */
  meter: (id) => `/api/meters/${encodeURIComponent(id)}`,
  /** @param {string} id @param {Record<string,string>} q */
  readings: (id, q) => `/api/meters/${encodeURIComponent(id)}/readings?${new URLSearchParams(q)}`,
  /** @param {string} id @param {Record<string,string>} q */
  consumption: (id, q) => `/api/meters/${encodeURIComponent(id)}/consumption?${new URLSearchParams(q)}`,
  live: '/api/live',
};
