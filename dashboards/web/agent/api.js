// @ts-check
/* global fetch, localStorage, navigator */
/**
 * The gateway as the phone sees it. The API key and the reader id are kept in localStorage, not
 * sessionStorage as in the dashboards: the reader opens the app in the street, often with no
 * network, after the browser has closed it, and must not be asked for a key they cannot check then.
 * A reader key carries its reader id (the gateway's session says which); an operator key working a
 * round for someone keeps the id typed at sign-in.
 */
import { getLang } from './i18n.js';

const KEY = 'metergate.agent.apiKey';
const READER = 'metergate.agent.reader';

export function session() {
  return { key: localStorage.getItem(KEY) ?? '', reader: localStorage.getItem(READER) ?? '' };
}

export function signIn(/** @type {string} */ key, /** @type {string} */ reader) {
  localStorage.setItem(KEY, key.trim());
  localStorage.setItem(READER, reader.trim());
}

/** The reader id the gateway's session gave a reader key (it wins over anything typed). */
export function setReader(/** @type {string} */ reader) {
  localStorage.setItem(READER, reader);
}

/** The session route the dashboards use: who the key is (`role`, and `readerId` for a reader key). */
export const SESSION = '/api/session';

export function signOut() {
  localStorage.removeItem(KEY);
  localStorage.removeItem(READER);
}

/** Whether to try the network at all (a request made offline only fills the console with errors). */
export const online = () => navigator.onLine;

/**
 * One call with the key and the page's language. `status` 0: the network failed (try again later);
 * otherwise the gateway answered (its error body carries a message in the page's language).
 * @returns {Promise<{ ok: boolean, status: number, data: any }>}
 */
export function call(/** @type {string} */ method, /** @type {string} */ url, /** @type {any} */ body) {
  return callWith(session().key, method, url, body);
}

/**
 * The same call with another key (the offline sales page holds a vendor's key apart from the reader's).
 * @returns {Promise<{ ok: boolean, status: number, data: any }>}
 */
export async function callWith(
  /** @type {string} */ key,
  /** @type {string} */ method,
  /** @type {string} */ url,
  /** @type {any} */ body,
) {
  try {
    const res = await fetch(url, {
      method,
      headers: {
        'x-api-key': key,
        'accept-language': getLang(),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { ok: res.ok, status: res.status, data: await res.json().catch(() => null) };
  } catch {
    return { ok: false, status: 0, data: null };
  }
}
