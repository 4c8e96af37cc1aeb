import type { SqlExecutor } from '../../platform/index.js';

/**
 * A meter's advance account, in the tariff currency: the advances granted on it, plus those moved
 * onto it by a meter exchange, minus those moved off it, minus what its purchases recovered. The
 * customer's debt is the sum of these accounts over the customer's meters (recovery runs on the
 * customer's debt, so a purchase on any of the customer's meters lowers it).
 */
export async function meterAdvanceAccount(db: SqlExecutor, meterId: string): Promise<number> {
  const { rows } = await db.query<{ account: string | number }>(
    `SELECT (SELECT COALESCE(sum(value), 0) FROM advances WHERE meter_id = $1)
          + (SELECT COALESCE(sum(advance), 0) FROM credit_transfers WHERE to_meter_id = $1)
          - (SELECT COALESCE(sum(advance), 0) FROM credit_transfers WHERE from_meter_id = $1)
          - (SELECT COALESCE(sum(r.amount), 0) FROM recoveries r JOIN vends v ON v.id = r.vend_id
              WHERE v.meter_id = $1) AS account`,
    [meterId],
  );
  return Math.round(Number(rows[0]!.account) * 100) / 100;
}
