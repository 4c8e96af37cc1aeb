// @ts-check
/* global document, localStorage */
/**
 * French (default), Arabic (right-to-left) and English. Numbers, dates and money go through Intl
 * with the chosen locale (fr-MA / ar-MA / en-GB; ar-MA writes Latin digits, as Moroccan bills do),
 * currency MAD. Switching language re-renders through `onLanguageChange`; the choice also goes to
 * the `lang` cookie so downloads and the gateway's messages follow it.
 */
import { MESSAGES } from './messages.js';

/** @typedef {'fr'|'ar'|'en'} Lang */

export const UI_LANGUAGES = /** @type {const} */ (['fr', 'ar', 'en']);

const STORAGE_KEY = 'metergate.lang';
/** @type {Record<Lang, string>} */
const LOCALES = { fr: 'fr-MA', ar: 'ar-MA', en: 'en-GB' };

/** @type {Lang} */
let lang = readStoredLang();
/** @type {Set<() => void>} */
const listeners = new Set();

/** @returns {Lang} */
function readStoredLang() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'en' || v === 'ar' ? v : 'fr';
  } catch {
    return 'fr';
  }
}

/** @returns {Lang} */
export function getLang() {
  return lang;
}

/** @param {Lang} next */
export function setLang(next) {
  lang = next === 'en' || next === 'ar' ? next : 'fr';
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  applyLang();
  for (const l of listeners) l();
}

/** The document's language, direction (Arabic is right-to-left) and the `lang` cookie. */
export function applyLang() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
  document.cookie = `lang=${lang}; path=/; SameSite=Lax`;
}

/** @param {() => void} fn */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Message lookup with `{name}` placeholders; a missing key shows itself so it is noticed.
 * @param {string} key
 * @param {Record<string, string|number>} [params]
 */
export function t(key, params) {
  const table = /** @type {Record<string,string>} */ (MESSAGES[lang]);
  let text = table[key] ?? /** @type {Record<string,string>} */ (MESSAGES.fr)[key] ?? key;
  if (params) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return text;
}

export function locale() {
  return LOCALES[lang];
}

/** @type {Map<string, Intl.NumberFormat|Intl.DateTimeFormat>} */
const cache = new Map();
/**
 * @template {Intl.NumberFormat|Intl.DateTimeFormat} T
 * @param {string} id @param {() => T} make @returns {T}
 */
function cached(id, make) {
  const k = `${lang}:${id}`;
  let f = cache.get(k);
  if (!f) cache.set(k, (f = make()));
  return /** @type {T} */ (f);
}

/** @param {number|null|undefined} n @param {number} [digits] */
export function fmtNumber(n, digits = 2) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return cached(
    `n${digits}`,
    () => new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }),
  ).format(n);
}

/** @param {number|null|undefined} n */
export function fmtMoney(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return cached('mad', () => new Intl.NumberFormat(locale(), { style: 'currency', currency: 'MAD' })).format(
    n,
  );
}

/** @param {string|number|Date|null|undefined} d */
export function fmtDateTime(d) {
  if (d === null || d === undefined) return '—';
  const date = new Date(d);
  if (Number.isNaN(date.getTime())) return '—';
  return cached(
    'dt',
    () => new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'medium' }),
  ).format(date);
}

/** A calendar day 'YYYY-MM-DD' (UTC) shown in the locale. @param {string|Date} d */
export function fmtDay(d) {
  const date = typeof d === 'string' ? new Date(`${d.slice(0, 10)}T00:00:00Z`) : d;
  return cached(
    'day',
    () => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }),
  ).format(date);
}

/** 'YYYY-MM' or a date → "mars 2026". @param {string|Date} d */
export function fmtMonth(d) {
  const date = typeof d === 'string' ? new Date(`${d.slice(0, 7)}-01T00:00:00Z`) : d;
  return cached(
    'month',
    () => new Intl.DateTimeFormat(locale(), { month: 'long', year: 'numeric', timeZone: 'UTC' }),
  ).format(date);
}

/** Short time for chart axes (seconds since the epoch). @param {number} s */
export function fmtClock(s) {
  return cached(
    'clock',
    () => new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
  ).format(new Date(s * 1000));
}

/** Short day for chart axes (UTC day at seconds since the epoch). @param {number} s */
export function fmtShortDay(s) {
  return cached(
    'sday',
    () => new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: 'UTC' }),
  ).format(new Date(s * 1000));
}
