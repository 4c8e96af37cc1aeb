import { stringify } from 'csv-stringify/sync';
import { invalidRequest, type SqlExecutor } from '../../platform/index.js';
import type { Area } from '../area.js';
import { areaReliability, type ReliabilityIndices } from './reliability.js';

export const MAX_MONTHS = 36;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export type MonthlyReliability = { month: string } & ReliabilityIndices;

/** The indices month by month over [from, to] (YYYY-MM, both included), each month on its own. */
export async function monthlyReliability(
  db: SqlExecutor,
  area: Area,
  from: string,
  to: string,
): Promise<MonthlyReliability[]> {
  const a = MONTH.exec(from);
  const b = MONTH.exec(to);
  if (!a) throw invalidRequest({ field: 'querystring/from', reason: 'a month YYYY-MM' });
  if (!b) throw invalidRequest({ field: 'querystring/to', reason: 'a month YYYY-MM' });
  const first = Number(a[1]) * 12 + Number(a[2]) - 1;
  const last = Number(b[1]) * 12 + Number(b[2]) - 1;
  if (last < first || last - first >= MAX_MONTHS) {
    throw invalidRequest({ field: 'querystring/to', reason: `from ≤ to, at most ${MAX_MONTHS} months` });
  }
  const out: MonthlyReliability[] = [];
  for (let m = first; m <= last; m++) {
    const start = new Date(Date.UTC(Math.floor(m / 12), m % 12, 1));
    const end = new Date(Date.UTC(Math.floor((m + 1) / 12), (m + 1) % 12, 1));
    out.push({
      month: start.toISOString().slice(0, 7),
      ...(await areaReliability(db, area, { from: start, to: end })),
    });
  }
  return out;
}

const COLUMNS: (keyof MonthlyReliability)[] = [
  'month',
  'saidiMinutes',
  'saifi',
  'caidiMinutes',
  'customersServed',
  'interruptions',
  'momentaryInterruptions',
  'maifi',
];

/** RFC 4180 CSV, one row a month, with a UTF-8 BOM so spreadsheets read the encoding. */
export function reliabilityCsv(rows: readonly MonthlyReliability[]): string {
  return '\uFEFF' + stringify([COLUMNS, ...rows.map((r) => COLUMNS.map((c) => String(r[c])))]);
}
