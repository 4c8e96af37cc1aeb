import { GatewayError, type Principal } from '../../platform/index.js';
import type { SqlExecutor } from '../../platform/index.js';

export interface Statement {
  customerId: string;
  name: string;
  social: boolean;
  purchases: Array<{
    vendId: string;
    meterId: string;
    at: Date;
    money: number;
    debtRecovered: number;
    units: number;
    token: string | null;
  }>;
  advances: Array<{ vendId: string; meterId: string; at: Date; units: number; value: number }>;
  recoveries: Array<{ vendId: string; at: Date; amount: number }>;
  balance: {
    advanced: number;
    recovered: number;
    debt: number;
    purchased: number;
    unitsPurchased: number;
    unitsAdvanced: number;
  };
}

/** A customer's statement; customers see only their own, vendors none (their view is their sales). */
export async function customerStatement(
  db: SqlExecutor,
  principal: Principal,
  customerId: string,
): Promise<Statement> {
  if (principal.role === 'customer' && principal.customerId !== customerId) {
    throw new GatewayError('MG_ERR_CUSTOMER_NOT_FOUND', { params: { customerId } });
  }
  const c = await db.query<{ id: string; name: string; social: boolean; debt: number }>(
    'SELECT id, name, social, debt FROM customers WHERE id = $1',
    [customerId],
  );
  const cust = c.rows[0];
  if (!cust) throw new GatewayError('MG_ERR_CUSTOMER_NOT_FOUND', { params: { customerId } });
  const purchases = await db.query<{
    id: string;
    meter_id: string;
    created_at: Date;
    money: number;
    debt_recovered: number;
    units: number;
    token: string | null;
  }>(
    `SELECT v.id, v.meter_id, v.created_at, v.money, v.debt_recovered, v.units,
            (SELECT digits FROM tokens t WHERE t.vend_id = v.id ORDER BY t.id LIMIT 1) AS token
       FROM vends v WHERE v.customer_id = $1 AND v.kind = 'purchase' ORDER BY v.created_at, v.id`,
    [customerId],
  );
  const advances = await db.query<{
    vend_id: string;
    meter_id: string;
    created_at: Date;
    units: number;
    value: number;
  }>(
    'SELECT vend_id, meter_id, created_at, units, value FROM advances WHERE customer_id = $1 ORDER BY created_at, id',
    [customerId],
  );
  const recoveries = await db.query<{ vend_id: string; created_at: Date; amount: number }>(
    'SELECT vend_id, created_at, amount FROM recoveries WHERE customer_id = $1 ORDER BY created_at, id',
    [customerId],
  );
  const sum = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b * 100, 0)) / 100;
  const advanced = sum(advances.rows.map((a) => a.value));
  const recovered = sum(recoveries.rows.map((r) => r.amount));
  return {
    customerId: cust.id,
    name: cust.name,
    social: cust.social,
    purchases: purchases.rows.map((p) => ({
      vendId: p.id,
      meterId: p.meter_id,
      at: p.created_at,
      money: p.money,
      debtRecovered: p.debt_recovered,
      units: p.units,
      token: p.token,
    })),
    advances: advances.rows.map((a) => ({
      vendId: a.vend_id,
      meterId: a.meter_id,
      at: a.created_at,
      units: a.units,
      value: a.value,
    })),
    recoveries: recoveries.rows.map((r) => ({ vendId: r.vend_id, at: r.created_at, amount: r.amount })),
    balance: {
      advanced,
      recovered,
      debt: cust.debt,
      purchased: sum(purchases.rows.map((p) => p.money)),
      unitsPurchased: Math.round(purchases.rows.reduce((a, p) => a + p.units * 10, 0)) / 10,
      unitsAdvanced: Math.round(advances.rows.reduce((a, p) => a + p.units * 10, 0)) / 10,
    },
  };
}
