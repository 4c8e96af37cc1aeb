import type { SqlExecutor } from '../../platform/index.js';
import { areaCondition, type Area } from '../area.js';
import { nearestNeighbourOrder } from './walking-order.js';

/** Days of history the mean daily consumption is taken over. */
const MEAN_OVER_DAYS = 14;

export interface RechargeStop {
  seq: number;
  meter: string;
  customerId: string | null;
  address: string | null;
  lat: number;
  lon: number;
  /**
   * Units bought (purchases and advances, and the credit a meter exchange moved onto the meter)
   * minus units consumed since the first of them.
   */
  remainingUnits: number;
  /** At the mean daily consumption of the last 14 days; 0 when already out of credit. */
  daysLeft: number | null;
}

/**
 * A recharge round for a mobile team: the prepaid meters of an area whose credit runs out within
 * `days` (from their consumption) or is already spent, in walking order (greedy nearest neighbour).
 * The credit is estimated from the ledger (units sold) and the metered consumption since the first
 * sale, not read from the meter.
 */
export async function rechargeRound(
  db: SqlExecutor,
  area: Area,
  days: number,
  now: Date = new Date(),
): Promise<RechargeStop[]> {
  const cond = areaCondition(area, 3);
  const { rows } = await db.query<{
    meter: string;
    customerId: string | null;
    address: string | null;
    lat: number;
    lon: number;
    remaining: number;
    daily: number | null;
  }>(
    `WITH sold AS (
       SELECT v.meter_id, sum(v.units)::float8 AS units, min(v.created_at) AS since
         FROM vends v WHERE v.kind IN ('purchase', 'advance', 'credit-transfer') GROUP BY v.meter_id)
     SELECT p.meter_id AS meter, p.customer_id AS "customerId", p.address, p.lat, p.lon,
            s.units - coalesce((SELECT sum(c.consumption) FROM daily_consumption c
              WHERE c.meter_id = p.meter_id AND c.obis = '1-0:1.8.0' AND c.day >= s.since::date), 0) AS remaining,
            (SELECT avg(c.consumption) FROM daily_consumption c
              WHERE c.meter_id = p.meter_id AND c.obis = '1-0:1.8.0' AND c.quality = 'measured'
                AND c.day > $1::date - $2::int) AS daily
       FROM field_points p
       JOIN sold s ON s.meter_id = p.meter_id
       LEFT JOIN field_transformers t ON t.id = p.transformer_id
      WHERE p.kind = 'prepaid' AND ${cond.sql}`,
    [now, MEAN_OVER_DAYS, ...cond.params],
  );
  const due = rows
    .map((r) => {
      const remaining = Math.round(r.remaining * 10) / 10;
      const daysLeft =
        remaining <= 0 ? 0 : r.daily && r.daily > 0 ? Math.round((remaining / r.daily) * 10) / 10 : null;
      return { ...r, remaining, daysLeft };
    })
    .filter((r) => r.daysLeft !== null && r.daysLeft <= days);
  return nearestNeighbourOrder(due).map((r, i) => ({
    seq: i + 1,
    meter: r.meter,
    customerId: r.customerId,
    address: r.address,
    lat: r.lat,
    lon: r.lon,
    remainingUnits: r.remaining,
    daysLeft: r.daysLeft,
  }));
}
