import '../errors.js';
import { GatewayError, type SqlExecutor } from '../../platform/index.js';
import type { BillStatus } from '../bills/bill.js';
import { allocateCredits, type Allocation, type OpenItem } from './allocation.js';

/** Serialises every financial write of one customer (payments, plans, credit notes, settling). */
export async function lockCustomer(tx: SqlExecutor, customerId: string): Promise<void> {
  const { rows } = await tx.query('SELECT 1 FROM customers WHERE id = $1 FOR UPDATE', [customerId]);
  if (!rows[0]) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_CUSTOMER', { params: { id: customerId } });
}

interface EntryRow {
  entry: number;
  kind: string;
  amount: number;
  bill: string | null;
  due: string;
  targets: string[] | null;
  exclusive: boolean;
  used: number;
}

/** Every entry of the customer with what is already allocated on its side. */
async function entriesWithUse(tx: SqlExecutor, customerId: string): Promise<EntryRow[]> {
  const { rows } = await tx.query<EntryRow>(
    `SELECT e.id AS entry, e.kind, e.amount, e.bill_number AS bill,
            to_char(COALESCE(e.due_date, e.at::date), 'YYYY-MM-DD') AS due,
            CASE WHEN jsonb_typeof(e.detail->'targets') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(e.detail->'targets'))
                 WHEN b.corrects IS NOT NULL THEN ARRAY[b.corrects] END AS targets,
            COALESCE((e.detail->>'exclusive')::boolean, false) AS exclusive,
            CASE WHEN e.amount > 0
              THEN COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id), 0)
              ELSE COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.credit_entry = e.id), 0)
            END AS used
       FROM account_entries e LEFT JOIN bills b ON b.number = e.bill_number
      WHERE e.customer_id = $1 AND e.amount <> 0`,
    [customerId],
  );
  return rows.map((r) => ({ ...r, entry: Number(r.entry), amount: Number(r.amount), used: Number(r.used) }));
}

/**
 * Allocates the customer's unused credits to their open debits (allocation.ts) and moves the bills'
 * statuses. Call inside a transaction after `lockCustomer`. Returns the new allocations.
 */
export async function settleCustomer(tx: SqlExecutor, customerId: string): Promise<Allocation[]> {
  const rows = await entriesWithUse(tx, customerId);
  const debits: OpenItem[] = [];
  const credits: OpenItem[] = [];
  for (const r of rows) {
    if (r.amount > 0) debits.push({ entry: r.entry, remaining: r.amount - r.used, due: r.due, bill: r.bill });
    else
      credits.push({
        entry: r.entry,
        remaining: -r.amount - r.used,
        due: r.due,
        targets: r.targets,
        exclusive: r.exclusive,
      });
  }
  const allocations = allocateCredits(debits, credits);
  if (allocations.length) {
    await tx.query(
      `INSERT INTO payment_allocations (credit_entry, debit_entry, amount)
       SELECT c, d, a FROM jsonb_to_recordset($1::jsonb) AS x(c bigint, d bigint, a bigint)`,
      [JSON.stringify(allocations.map((a) => ({ c: a.credit, d: a.debit, a: a.amount })))],
    );
  }
  await refreshStatuses(tx, customerId);
  return allocations;
}

/**
 * A bill's stored status from its allocations: cancelled when credit notes cover it, in-plan while a
 * plan or deferral carries it, paid when nothing is left, partially-paid, or issued. `overdue` is not
 * stored: it is read (effectiveStatus) from the deadline. Plans whose instalments are all posted and
 * paid are completed here.
 */
export async function refreshStatuses(tx: SqlExecutor, customerId: string): Promise<void> {
  await tx.query(
    `UPDATE instalment_plans p SET status = 'completed'
      WHERE p.customer_id = $1 AND p.status = 'active'
        AND NOT EXISTS (SELECT 1 FROM plan_instalments i WHERE i.plan_id = p.id AND i.entry_id IS NULL)
        AND NOT EXISTS (SELECT 1 FROM plan_instalments i JOIN account_entries e ON e.id = i.entry_id
                         WHERE i.plan_id = p.id
                           AND e.amount > COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id), 0))`,
    [customerId],
  );
  const { rows } = await tx.query<{
    number: string;
    status: BillStatus;
    ttc: number;
    allocated: number;
    credited: number;
    planned: number;
    live: boolean;
  }>(
    `SELECT b.number, b.status, b.amount_ttc AS ttc,
            COALESCE(sum(a.amount), 0) AS allocated,
            COALESCE(sum(a.amount) FILTER (WHERE c.kind = 'credit-note'), 0) AS credited,
            COALESCE(sum(a.amount) FILTER (WHERE c.kind IN ('instalment-plan', 'deferral')), 0) AS planned,
            EXISTS (SELECT 1 FROM instalment_plans p WHERE p.bill_number = b.number AND p.status = 'active') AS live
       FROM bills b
       JOIN account_entries e ON e.bill_number = b.number AND e.kind IN ('bill', 'regularisation')
       LEFT JOIN payment_allocations a ON a.debit_entry = e.id
       LEFT JOIN account_entries c ON c.id = a.credit_entry
      WHERE b.customer_id = $1 AND b.kind <> 'credit-note' AND b.amount_ttc > 0
      GROUP BY b.number, b.status, b.amount_ttc`,
    [customerId],
  );
  const moves: { n: string; s: BillStatus }[] = [];
  for (const r of rows) {
    const ttc = Number(r.ttc);
    const allocated = Number(r.allocated);
    const status: BillStatus =
      Number(r.credited) >= ttc
        ? 'cancelled'
        : allocated >= ttc
          ? Number(r.planned) > 0 && r.live
            ? 'in-plan'
            : 'paid'
          : allocated > 0
            ? 'partially-paid'
            : 'issued';
    if (status !== r.status) moves.push({ n: r.number, s: status });
  }
  if (moves.length) await setBillStatuses(tx, moves);
}

/** Only a bill's status ever moves; the immutability trigger (SQLSTATE 42501) refuses anything else. */
export async function setBillStatuses(tx: SqlExecutor, moves: { n: string; s: BillStatus }[]): Promise<void> {
  try {
    await tx.query(
      `UPDATE bills b SET status = x.s FROM jsonb_to_recordset($1::jsonb) AS x(n text, s text) WHERE b.number = x.n`,
      [JSON.stringify(moves)],
    );
  } catch (err) {
    if ((err as { code?: string }).code === '42501')
      throw new GatewayError('MG_ERR_BILLING_IMMUTABLE', { cause: err });
    throw err;
  }
}

/** The customer's balance: the sum of their entries (> 0 owed, < 0 credit). */
export async function balanceOf(db: SqlExecutor, customerId: string): Promise<number> {
  const { rows } = await db.query<{ b: number }>(
    'SELECT COALESCE(sum(amount), 0) AS b FROM account_entries WHERE customer_id = $1',
    [customerId],
  );
  return Number(rows[0]!.b);
}

export interface AuditInput {
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
}

export async function audit(tx: SqlExecutor, a: AuditInput): Promise<void> {
  await tx.query('INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)', [
    a.actor,
    a.action,
    a.subject,
    JSON.stringify(a.detail),
  ]);
}
