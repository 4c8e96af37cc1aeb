// @ts-check
/**
 * One shared connection to the gateway's live stream for all views. Readings are normalised to
 * `{ meter, ts, values }` whatever envelope the stream uses (a bare protocol Reading, or
 * `{ type: 'reading', reading }`).
 */
import { openEventStream, paths } from './api.js';

/** @typedef {{ meter: string, ts: string, values: Record<string, number> }} LiveReading */

/** @type {Set<(r: LiveReading) => void>} */
const readingListeners = new Set();
/** @type {Set<(type: string, data: any) => void>} */
const eventListeners = new Set();
/** @type {Set<(c: boolean) => void>} */
const statusListeners = new Set();
/** @type {{ close(): void } | null} */
let stream = null;
let connected = false;

/** @param {any} data @returns {LiveReading|null} */
export function asReading(data) {
  const r = data && typeof data === 'object' && data.reading ? data.reading : data;
  const meter = r?.meter ?? r?.meterId;
  if (typeof meter !== 'string' || !r.values || typeof r.values !== 'object' || typeof r.ts !== 'string')
    return null;
  return { meter, ts: r.ts, values: r.values };
}

function ensure() {
  if (stream) return;
  stream = openEventStream(paths.live, {
    onEvent(type, data) {
      const r = type === 'reading' || type === 'message' ? asReading(data) : null;
      if (r) for (const l of readingListeners) l(r);
      else for (const l of eventListeners) l(type, data);
    },
    onStatus(c) {
      connected = c;
      for (const l of statusListeners) l(c);
    },
  });
}

function maybeClose() {
  if (!readingListeners.size && !eventListeners.size && !statusListeners.size && stream) {
    stream.close();
    stream = null;
    connected = false;
  }
}

/** @param {(r: LiveReading) => void} fn */
export function onLiveReading(fn) {
  readingListeners.add(fn);
  ensure();
  return () => {
    readingListeners.delete(fn);
    maybeClose();
  };
}

/** Other stream events (meter events such as token accepted, alerts). @param {(type: string, data: any) => void} fn */
export function onLiveEvent(fn) {
  eventListeners.add(fn);
  ensure();
  return () => {
    eventListeners.delete(fn);
    maybeClose();
  };
}

/** @param {(c: boolean) => void} fn */
export function onLiveStatus(fn) {
  statusListeners.add(fn);
  fn(connected);
  ensure();
  return () => {
    statusListeners.delete(fn);
    maybeClose();
  };
}
