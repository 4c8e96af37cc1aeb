import type { SqlExecutor } from '../../platform/index.js';
import { areaCondition, type Area } from '../area.js';

/** IEEE 1366-2012 §2: an interruption longer than this is sustained; shorter ones are momentary. */
export const SUSTAINED_AFTER_MINUTES = 3;
const MINUTE_MS = 60_000;

export interface Interruption {
  startedAt: Date;
  /** null: still going on (clipped at the window's end). */
  endedAt: Date | null;
  /** Customers interrupted (connection points of the area behind the transformer). */
  customers: number;
}

export interface ReliabilityIndices {
  /** Σ (customer minutes of sustained interruption) / customers served (IEEE 1366 SAIDI). */
  saidiMinutes: number;
  /** Σ (customers interrupted, sustained) / customers served (IEEE 1366 SAIFI). */
  saifi: number;
  /** SAIDI / SAIFI: mean minutes to restore for a customer interrupted (IEEE 1366 CAIDI). */
  caidiMinutes: number;
  customersServed: number;
  /** Sustained interruptions in the window. */
  interruptions: number;
  /** Momentary ones (≤ 3 min), counted apart: their count and MAIFI. */
  momentaryInterruptions: number;
  maifi: number;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The indices of a window [from, to): each interruption clipped to the window. */
export function reliabilityIndices(
  interruptions: readonly Interruption[],
  customersServed: number,
  window: { from: Date; to: Date },
): ReliabilityIndices {
  let customerMinutes = 0;
  let customersInterrupted = 0;
  let sustained = 0;
  let momentary = 0;
  let momentaryCustomers = 0;
  for (const i of interruptions) {
    const fullMinutes = ((i.endedAt ?? window.to).getTime() - i.startedAt.getTime()) / MINUTE_MS;
    if (fullMinutes <= SUSTAINED_AFTER_MINUTES) {
      momentary++;
      momentaryCustomers += i.customers;
      continue;
    }
    const start = Math.max(i.startedAt.getTime(), window.from.getTime());
    const end = Math.min((i.endedAt ?? window.to).getTime(), window.to.getTime());
    if (end <= start) continue;
    sustained++;
    customersInterrupted += i.customers;
    customerMinutes += ((end - start) / MINUTE_MS) * i.customers;
  }
  const served = customersServed;
  const saidi = served ? customerMinutes / served : 0;
  const saifi = served ? customersInterrupted / served : 0;
  return {
    saidiMinutes: round(saidi),
    saifi: round(saifi),
    caidiMinutes: saifi ? round(saidi / saifi) : 0,
    customersServed: served,
    interruptions: sustained,
    momentaryInterruptions: momentary,
    maifi: served ? round(momentaryCustomers / served) : 0,
  };
}

/** The indices of an area from the outage incidents that overlap the window. */
export async function areaReliability(
  db: SqlExecutor,
  area: Area,
  window: { from: Date; to: Date },
): Promise<ReliabilityIndices> {
  const served = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM field_points p LEFT JOIN field_transformers t ON t.id = p.transformer_id
      WHERE ${areaCondition(area, 1).sql}`,
    areaCondition(area, 1).params,
  );
  const cond = areaCondition(area, 3);
  const { rows } = await db.query<{ startedAt: Date; endedAt: Date | null; customers: number }>(
    `SELECT o.started_at AS "startedAt", o.ended_at AS "endedAt",
            (SELECT count(*)::int FROM field_points p LEFT JOIN field_transformers t ON t.id = p.transformer_id
              WHERE p.meter_id = ANY(o.meters) AND ${cond.sql}) AS customers
       FROM field_outages o
      WHERE o.started_at < $2 AND coalesce(o.ended_at, 'infinity') > $1`,
    [window.from, window.to, ...cond.params],
  );
  return reliabilityIndices(
    rows.filter((r) => r.customers > 0),
    served.rows[0]?.n ?? 0,
    window,
  );
}
