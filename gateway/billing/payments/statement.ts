import '../errors.js';
import { GatewayError, type SqlExecutor } from '../../platform/index.js';

export interface StatementEntry {
  id: number;
  at: string;
  kind: string;
  reference: string;
  billNumber: string | null;
  dueDate: string | null;
  amount: number;
  /** Allocated on this entry's side (a debit: paid; a credit: used). */
  allocated: number;
  runningBalance: number;
}

export interface Statement {
  customerId: string;
  balance: number;
  overdue: number;
  credit: number;
  inPlan: number;
  entries: StatementEntry[];
}

/**
 * A customer's statement (issue 16 §8): every account entry in order with the running balance. The
 * balance is by construction the sum of the entries; `overdue` sums open debits past their due date,
 * `credit` the unallocated credits, `inPlan` the instalments of active plans not fallen due yet.
 */
export async function statement(db: SqlExecutor, customerId: string, today: string): Promise<Statement> {
  const known = await db.query('SELECT 1 FROM customers WHERE id = $1', [customerId]);
  if (!known.rows[0])
    throw new GatewayError('MG_ERR_BILLING_UNKNOWN_CUSTOMER', { params: { id: customerId } });
  const { rows } = await db.query<Omit<StatementEntry, 'runningBalance'>>(
    `SELECT e.id, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, e.kind, e.reference,
            e.bill_number AS "billNumber", to_char(e.due_date, 'YYYY-MM-DD') AS "dueDate", e.amount,
            CASE WHEN e.amount > 0
              THEN COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id), 0)
              ELSE COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.credit_entry = e.id), 0)
            END AS allocated
       FROM account_entries e WHERE e.customer_id = $1 ORDER BY e.id`,
    [customerId],
  );
  let running = 0;
  let overdue = 0;
  let credit = 0;
  const entries = rows.map((r) => {
    const amount = Number(r.amount);
    const allocated = Number(r.allocated);
    running += amount;
    if (amount > 0 && r.dueDate && r.dueDate < today) overdue += amount - allocated;
    if (amount < 0) credit += -amount - allocated;
    return { ...r, id: Number(r.id), amount, allocated, runningBalance: running };
  });
  const { rows: plan } = await db.query<{ s: number }>(
    `SELECT COALESCE(sum(i.amount), 0) AS s FROM plan_instalments i JOIN instalment_plans p ON p.id = i.plan_id
      WHERE p.customer_id = $1 AND p.status = 'active' AND i.entry_id IS NULL`,
    [customerId],
  );
  return { customerId, balance: running, overdue, credit, inPlan: Number(plan[0]!.s), entries };
}
