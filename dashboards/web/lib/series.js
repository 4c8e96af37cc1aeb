// @ts-check
/** Normalising the API's time series into what the charts and tables need. */

/** @param {any} r @returns {any[]} */
export function listOf(r) {
  if (Array.isArray(r)) return r;
  if (r && typeof r === 'object') {
    for (const k of ['items', 'readings', 'series', 'days', 'months', 'rows', 'data'])
      if (Array.isArray(r[k])) return r[k];
  }
  return [];
}

/**
 * Consumption rows → { key: 'YYYY-MM-DD' or 'YYYY-MM', value, quality }.
 * @param {any} r @returns {{ key: string, value: number, quality: string }[]}
 */
export function consumptionRows(r) {
  return listOf(r)
    .map((x) => ({
      key: String(x.day ?? x.month ?? x.period ?? x.date ?? x.start ?? '').slice(0, 10),
      value: Number(x.consumption ?? x.value ?? x.total ?? NaN),
      quality: String(x.quality ?? 'measured'),
    }))
    .filter((x) => x.key && Number.isFinite(x.value));
}

/** 'YYYY-MM-DD' of a Date in UTC. @param {Date} d */
export function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

/** @param {string} day @param {number} n */
export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return isoDay(d);
}

/** Seconds since the epoch at UTC midnight of a day (uPlot's x unit). @param {string} day */
export function daySeconds(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}
