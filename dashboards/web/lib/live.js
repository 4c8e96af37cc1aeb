// @ts-check
/**
 * Shared connections to the gateway's live stream (`GET /api/live`, SSE: `event: reading` and
 * `event: event`, JSON data carrying `meterId`). One connection per meter filter: the whole fleet
 * for staff, `?meter=ID` for one meter (customers must name their own meters).
 */
import { openEventStream, paths } from './api.js';

/** @typedef {{ meter: string, ts: string, values: Record<string, number> }} LiveReading */

/**
 * @typedef {{
 *   readings: Set<(r: LiveReading) => void>,
 *   events: Set<(type: string, data: any) => void>,
 *   status: Set<(c: boolean) => void>,
 *   stream: { close(): void },
 *   connected: boolean,
 * }} Channel
 */

/** @type {Map<string, Channel>} */
const channels = new Map();

/** @param {any} data @returns {LiveReading|null} */
export function asReading(data) {
  const r = data && typeof data === 'object' && data.reading ? data.reading : data;
  const meter = r?.meterId ?? r?.meter;
  if (typeof meter !== 'string' || !r.values || typeof r.values !== 'object' || typeof r.ts !== 'string')
    return null;
  return { meter, ts: r.ts, values: r.values };
}

/** @param {string} meter '' for every meter the caller may see */
function channel(meter) {
  let ch = channels.get(meter);
  if (ch) return ch;
  /** @type {Channel} */
  const created = {
    readings: new Set(),
    events: new Set(),
    status: new Set(),
    connected: false,
    stream: openEventStream(meter ? `${paths.live}?meter=${encodeURIComponent(meter)}` : paths.live, {
      onEvent(type, data) {
        const r = type === 'reading' ? asReading(data) : null;
        if (r) for (const l of created.readings) l(r);
        else for (const l of created.events) l(type, data);
      },
      onStatus(c) {
        created.connected = c;
        for (const l of created.status) l(c);
      },
    }),
  };
  channels.set(meter, created);
  return created;
}

/** @param {string} meter @param {Channel} ch */
function release(meter, ch) {
  if (!ch.readings.size && !ch.events.size && !ch.status.size) {
    ch.stream.close();
    channels.delete(meter);
  }
}

/**
 * @template T
 * @param {'readings'|'events'|'status'} kind @param {T} fn @param {string} meter
 */
function listen(kind, fn, meter) {
  const ch = channel(meter);
  const set = /** @type {Set<T>} */ (ch[kind]);
  set.add(fn);
  return () => {
    set.delete(fn);
    release(meter, ch);
  };
}

/** @param {(r: LiveReading) => void} fn @param {string} [meter] */
export function onLiveReading(fn, meter = '') {
  return listen('readings', fn, meter);
}

/** Meter events (token accepted/rejected, credit, relay). @param {(type: string, data: any) => void} fn @param {string} [meter] */
export function onLiveEvent(fn, meter = '') {
  return listen('events', fn, meter);
}

/** @param {(c: boolean) => void} fn @param {string} [meter] */
export function onLiveStatus(fn, meter = '') {
  fn(channel(meter).connected);
  return listen('status', fn, meter);
}
