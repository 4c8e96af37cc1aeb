// @ts-check
/* global document, fetch, FormData */
/** Small DOM and HTTP helpers of the agency (no framework, no innerHTML of data). */

/**
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** A labelled form row: label bound to the control by id. */
export function row(
  /** @type {string} */ id,
  /** @type {string} */ label,
  /** @type {HTMLElement} */ control,
) {
  control.id = id;
  if (!control.getAttribute('name')) control.setAttribute('name', id);
  return h('div', { class: 'row' }, h('label', { for: id, text: label }), control);
}

/** A select with options [value, label]. */
export function select(
  /** @type {[string, string][]} */ options,
  /** @type {Record<string, any>} */ attrs = {},
) {
  return h('select', attrs, ...options.map(([v, l]) => h('option', { value: v, text: l })));
}

/** A live region for errors and confirmations. */
export function messageBox() {
  return h('div', { role: 'status', 'aria-live': 'polite', class: 'msg' });
}

export function say(/** @type {HTMLElement} */ box, /** @type {string} */ text, ok = false) {
  box.textContent = text;
  box.className = ok ? 'success' : 'error';
}

/**
 * JSON (or FormData) to the agency API with the session cookie; the server's message is already
 * in the page's language.
 * @returns {Promise<{ ok: boolean, status: number, data: any }>}
 */
export async function api(/** @type {string} */ method, /** @type {string} */ url, /** @type {any} */ body) {
  /** @type {RequestInit} */
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(url, init);
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  return { ok: res.ok, status: res.status, data };
}

/** Form fields as an object; empty optional strings dropped. */
export function formValues(/** @type {HTMLFormElement} */ form) {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [k, v] of new FormData(form)) if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  return out;
}
