// @ts-check
/* global document */
/** The one DOM helper of the reader's app (no framework, never innerHTML of data). */

/**
 * @param {string} tag
 * @param {Record<string, any>} [attrs] `on…` are listeners, `text` the text content, `true` a bare attribute
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

/** A label bound to its control. */
export function field(/** @type {string} */ label, /** @type {HTMLElement} */ control, hint = '') {
  const id = control.id;
  return h(
    'div',
    { class: 'row' },
    h('label', { for: id, text: label }),
    control,
    hint ? h('p', { class: 'hint', text: hint }) : null,
  );
}
