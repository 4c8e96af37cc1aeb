import { randomUUID } from 'node:crypto';
import '../errors.js';
import { GatewayError, type SqlDatabase, type SqlExecutor } from '../../platform/index.js';
import type { AfterIssue, InstalmentsDue } from '../bills/bill-store.js';
import { addMonths, isMonth } from '../money/calendar.js';
import { audit, lockCustomer, settleCustomer } from '../payments/ledger.js';

export interface PlanConfig {
  /** A bill above threshold × the mean of the contract's last 6 bills gets an automatic plan (1.5). */
  threshold?: number;
  /** Months of the automatic plan (6). */
  months?: number;
  /** Prior bills needed before a mean is meaningful (3). */
  minHistory?: number;
  /**
   * Which bills may be spread automatically. Default: regularisations only — a seasonal peak (the
   * summer's air conditioning) is above the last 6 months' mean every year and is not a catch-up.
   */
  kinds?: readonly ('periodic' | 'regularisation')[];
}

export type PlanKind = 'instalments' | 'deferral';
export type PlanStatus = 'requested' | 'active' | 'refused' | 'completed';

export interface PlanView {
  id: string;
  customerId: string;
  billNumber: string;
  kind: PlanKind;
  months: number | null;
  deferredUntil: string | null;
  origin: 'automatic' | 'customer' | 'operator';
  status: PlanStatus;
  amount: number;
  requestedBy: string;
  decidedBy: string | null;
  createdAt: string;
  settledEarly: boolean;
  instalments: { seq: number; amount: number; dueMonth: string; posted: boolean }[];
}

export interface PlanRequest {
  customerId: string;
  billNumber: string;
  kind?: PlanKind;
  months?: number;
  /** Deferral: the month (YYYY-MM) the whole amount falls due on the bill. */
  deferUntil?: string;
  by: string;
  origin: 'customer' | 'operator';
  today: string;
}

const MAX_DEFERRAL_MONTHS = 3;

/** What is still open on the bill itself (its entry minus what is allocated to it). */
async function billRemaining(tx: SqlExecutor, billNumber: string): Promise<number> {
  const { rows } = await tx.query<{ r: number }>(
    `SELECT COALESCE(sum(e.amount - COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id), 0)), 0) AS r
       FROM account_entries e WHERE e.bill_number = $1 AND e.kind IN ('bill', 'regularisation') AND e.amount > 0`,
    [billNumber],
  );
  return Number(rows[0]!.r);
}

/** `total` in `n` integer parts, the remainder on the first ones (no centime lost or invented). */
export function splitAmount(total: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/**
 * Puts a plan in force inside the caller's transaction: a credit of the bill's remaining amount
 * (exclusive to that bill, so the bill reads 'in-plan') and its instalments, each falling due on the
 * bill issued for its month. Call after the year counter (if any) and before anything else locks
 * the customer.
 */
async function activate(
  tx: SqlExecutor,
  plan: {
    id: string;
    customerId: string;
    billNumber: string;
    kind: PlanKind;
    months: number | null;
    deferredUntil: string | null;
  },
  by: string,
  today: string,
): Promise<void> {
  await lockCustomer(tx, plan.customerId);
  const remaining = await billRemaining(tx, plan.billNumber);
  if (remaining <= 0) {
    throw new GatewayError('MG_ERR_BILLING_PLAN_STATE', {
      params: { id: plan.id, reason: `nothing is left to pay on ${plan.billNumber}` },
    });
  }
  const { rows } = await tx.query<{ p: string }>(
    `SELECT to_char(period_to, 'YYYY-MM') AS p FROM bills WHERE number = $1`,
    [plan.billNumber],
  );
  const thisMonth = addMonths(today.slice(0, 7), -1);
  const base = rows[0]!.p > thisMonth ? rows[0]!.p : thisMonth;
  const parts =
    plan.kind === 'deferral'
      ? [{ amount: remaining, month: plan.deferredUntil! }]
      : splitAmount(remaining, plan.months!).map((amount, i) => ({ amount, month: addMonths(base, i + 1) }));
  await tx.query(
    `INSERT INTO account_entries (customer_id, kind, reference, amount, bill_number, detail)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      plan.customerId,
      plan.kind === 'deferral' ? 'deferral' : 'instalment-plan',
      plan.id,
      -remaining,
      plan.billNumber,
      JSON.stringify({ targets: [plan.billNumber], exclusive: true }),
    ],
  );
  await tx.query(
    `INSERT INTO plan_instalments (plan_id, seq, amount, due_month)
     SELECT $1, s, a, m FROM jsonb_to_recordset($2::jsonb) AS x(s int, a bigint, m text) WHERE a > 0`,
    [plan.id, JSON.stringify(parts.map((p, i) => ({ s: i + 1, a: p.amount, m: p.month })))],
  );
  await tx.query(
    `UPDATE instalment_plans SET status = 'active', amount = $2, decided_by = $3, decided_at = now() WHERE id = $1`,
    [plan.id, remaining, by],
  );
  await settleCustomer(tx, plan.customerId);
  await audit(tx, {
    actor: by,
    action: 'billing.plan.activate',
    subject: plan.id,
    detail: { billNumber: plan.billNumber, kind: plan.kind, months: plan.months, amount: remaining },
  });
}

function validate(r: PlanRequest): { kind: PlanKind; months: number | null; deferredUntil: string | null } {
  const kind = r.kind ?? 'instalments';
  if (kind === 'instalments') {
    if (!Number.isInteger(r.months) || r.months! < 2 || r.months! > 12) {
      throw new GatewayError('MG_ERR_BILLING_BAD_PLAN', { params: { reason: 'months must be 2 to 12' } });
    }
    return { kind, months: r.months!, deferredUntil: null };
  }
  const next = addMonths(r.today.slice(0, 7), 1);
  if (
    !isMonth(r.deferUntil) ||
    r.deferUntil < next ||
    r.deferUntil > addMonths(next, MAX_DEFERRAL_MONTHS - 1)
  ) {
    throw new GatewayError('MG_ERR_BILLING_BAD_PLAN', {
      params: {
        reason: `a deferral runs to a month from ${next} to ${addMonths(next, MAX_DEFERRAL_MONTHS - 1)}`,
      },
    });
  }
  return { kind, months: null, deferredUntil: r.deferUntil };
}

/**
 * A request for other terms (2–12 months) or a deferral (issue 16 §6). A customer's request waits for
 * an operator; an operator's is in force at once. One live plan per bill.
 */
export async function requestPlan(db: SqlDatabase, r: PlanRequest): Promise<PlanView> {
  const terms = validate(r);
  const { rows } = await db.query<{ customerId: string; kind: string }>(
    'SELECT customer_id AS "customerId", kind FROM bills WHERE number = $1',
    [r.billNumber],
  );
  if (!rows[0] || rows[0].customerId !== r.customerId) {
    throw new GatewayError('MG_ERR_BILLING_UNKNOWN_BILL', { params: { number: r.billNumber } });
  }
  const id = `plan-${randomUUID()}`;
  await db.transaction(async (tx) => {
    await lockCustomer(tx, r.customerId);
    const remaining = await billRemaining(tx, r.billNumber);
    if (remaining <= 0) {
      throw new GatewayError('MG_ERR_BILLING_PLAN_STATE', {
        params: { id: r.billNumber, reason: 'nothing is left to pay on this bill' },
      });
    }
    const live = await tx.query(
      `SELECT id FROM instalment_plans WHERE bill_number = $1 AND status IN ('requested', 'active')`,
      [r.billNumber],
    );
    if (live.rows[0]) {
      throw new GatewayError('MG_ERR_BILLING_PLAN_STATE', {
        params: { id: r.billNumber, reason: 'the bill already has a plan' },
      });
    }
    await tx.query(
      `INSERT INTO instalment_plans (id, customer_id, bill_number, kind, months, deferred_until, origin, status, amount, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', $8, $9)`,
      [
        id,
        r.customerId,
        r.billNumber,
        terms.kind,
        terms.months,
        terms.deferredUntil,
        r.origin,
        remaining,
        r.by,
      ],
    );
    await audit(tx, {
      actor: r.by,
      action: 'billing.plan.request',
      subject: id,
      detail: { ...terms, billNumber: r.billNumber },
    });
    if (r.origin === 'operator') {
      await activate(tx, { id, customerId: r.customerId, billNumber: r.billNumber, ...terms }, r.by, r.today);
    }
  });
  return getPlan(db, id);
}

/** The plan, refused with MG_ERR_BILLING_PLAN_STATE unless it is in `status`. */
async function planIn(db: SqlExecutor, id: string, status: PlanStatus): Promise<PlanView> {
  const plan = await getPlan(db, id);
  if (plan.status !== status) {
    throw new GatewayError('MG_ERR_BILLING_PLAN_STATE', {
      params: { id, reason: `the plan is ${plan.status}` },
    });
  }
  return plan;
}

/** An operator approves (the plan comes into force) or refuses a requested plan. */
export async function decidePlan(
  db: SqlDatabase,
  id: string,
  decision: 'approve' | 'refuse',
  by: string,
  today: string,
): Promise<PlanView> {
  const plan = await planIn(db, id, 'requested');
  await db.transaction(async (tx) => {
    if (decision === 'approve') {
      await activate(tx, plan, by, today);
      return;
    }
    await tx.query(
      `UPDATE instalment_plans SET status = 'refused', decided_by = $2, decided_at = now() WHERE id = $1 AND status = 'requested'`,
      [id, by],
    );
    await audit(tx, {
      actor: by,
      action: 'billing.plan.refuse',
      subject: id,
      detail: { billNumber: plan.billNumber },
    });
  });
  return getPlan(db, id);
}

/** Early settlement: every instalment not fallen due yet falls due now (to be paid at once). */
export async function settlePlanEarly(
  db: SqlDatabase,
  id: string,
  by: string,
  today: string,
): Promise<PlanView> {
  const plan = await planIn(db, id, 'active');
  await db.transaction(async (tx) => {
    await lockCustomer(tx, plan.customerId);
    await postInstalments(
      tx,
      plan.instalments
        .filter((i) => !i.posted)
        .map((i) => ({
          ...i,
          planId: id,
          customerId: plan.customerId,
          billNumber: plan.billNumber,
          contract: null,
          due: today,
        })),
    );
    await tx.query('UPDATE instalment_plans SET settled_early_at = now() WHERE id = $1', [id]);
    await settleCustomer(tx, plan.customerId);
    await audit(tx, {
      actor: by,
      action: 'billing.plan.settle-early',
      subject: id,
      detail: { billNumber: plan.billNumber },
    });
  });
  return getPlan(db, id);
}

interface Posting {
  planId: string;
  seq: number;
  amount: number;
  customerId: string;
  billNumber: string;
  contract: string | null;
  due: string;
}

async function postInstalments(tx: SqlExecutor, items: Posting[]): Promise<void> {
  if (!items.length) return;
  await tx.query(
    `WITH e AS (
       INSERT INTO account_entries (customer_id, contract_number, kind, reference, amount, bill_number, due_date)
       SELECT c, k, 'instalment', p || ':' || s, a, b, d::date
         FROM jsonb_to_recordset($1::jsonb) AS x(p text, s int, a bigint, c text, b text, k text, d text)
       RETURNING id, reference)
     UPDATE plan_instalments i SET entry_id = e.id FROM e WHERE e.reference = i.plan_id || ':' || i.seq`,
    [
      JSON.stringify(
        items.map((i) => ({
          p: i.planId,
          s: i.seq,
          a: i.amount,
          c: i.customerId,
          b: i.billNumber,
          k: i.contract,
          d: i.due,
        })),
      ),
    ],
  );
}

/**
 * The bill-store hook: instalments whose month has come fall due on the contract's new bill (a debit
 * entry each, due with that bill) and are shown on it.
 */
export const instalmentsDue: InstalmentsDue = async (tx, drafts) => {
  const out = new Map<string, { amount: number; items: unknown[] }>();
  const periodic = drafts.filter((d) => d.kind !== 'credit-note');
  if (!periodic.length) return out;
  const { rows } = await tx.query<{
    planId: string;
    seq: number;
    amount: number;
    dueMonth: string;
    customerId: string;
    billNumber: string;
    contract: string;
  }>(
    `SELECT i.plan_id AS "planId", i.seq, i.amount, i.due_month AS "dueMonth", p.customer_id AS "customerId",
            p.bill_number AS "billNumber", b.contract_number AS contract
       FROM plan_instalments i JOIN instalment_plans p ON p.id = i.plan_id JOIN bills b ON b.number = p.bill_number
      WHERE p.status = 'active' AND i.entry_id IS NULL AND b.contract_number = ANY($1)
      ORDER BY i.plan_id, i.seq`,
    [[...new Set(periodic.map((d) => d.contractNumber))]],
  );
  if (!rows.length) return out;
  const postings: Posting[] = [];
  for (const d of periodic) {
    for (const r of rows) {
      if (r.contract !== d.contractNumber || r.dueMonth > d.periodTo.slice(0, 7)) continue;
      if (postings.some((p) => p.planId === r.planId && p.seq === r.seq)) continue;
      const amount = Number(r.amount);
      postings.push({ ...r, amount, contract: d.contractNumber, due: d.paymentDeadline });
      const acc = out.get(d.contractNumber) ?? { amount: 0, items: [] };
      acc.amount += amount;
      acc.items.push({ plan: r.planId, seq: r.seq, amount, bill: r.billNumber, month: r.dueMonth });
      out.set(d.contractNumber, acc);
    }
  }
  await postInstalments(tx, postings);
  return out;
};

/**
 * The bill-store hook for automatic plans (issue 16 §6): a bill (of `kinds`) above `threshold` × the
 * mean of the contract's last 6 bills (with at least `minHistory` of them) is spread over `months`
 * at once.
 */
export function automaticPlans(config: PlanConfig = {}): AfterIssue {
  const threshold = config.threshold ?? 1.5;
  const months = config.months ?? 6;
  const minHistory = config.minHistory ?? 3;
  const kinds = new Set<string>(config.kinds ?? ['regularisation']);
  return async (tx, bills) => {
    const candidates = bills.filter((b) => kinds.has(b.kind) && b.amountTTC > 0);
    if (!candidates.length) return;
    const { rows } = await tx.query<{ number: string; mean: number; n: number }>(
      `SELECT x.number, h.mean, h.n FROM jsonb_to_recordset($1::jsonb) AS x(number text, contract text)
         CROSS JOIN LATERAL (SELECT avg(amount_ttc) AS mean, count(*)::int AS n FROM (
           SELECT amount_ttc FROM bills p WHERE p.contract_number = x.contract AND p.number < x.number
              AND p.kind <> 'credit-note' AND p.amount_ttc > 0 ORDER BY p.number DESC LIMIT 6) q) h`,
      [JSON.stringify(candidates.map((b) => ({ number: b.number, contract: b.contractNumber })))],
    );
    for (const r of rows) {
      const bill = candidates.find((b) => b.number === r.number)!;
      if (Number(r.n) < minHistory || !(bill.amountTTC > threshold * Number(r.mean))) continue;
      const id = `plan-auto-${bill.number}`;
      await tx.query(
        `INSERT INTO instalment_plans (id, customer_id, bill_number, kind, months, origin, status, amount, requested_by)
         VALUES ($1, $2, $3, 'instalments', $4, 'automatic', 'requested', $5, 'billing')`,
        [id, bill.customerId, bill.number, months, bill.amountTTC],
      );
      await activate(
        tx,
        {
          id,
          customerId: bill.customerId,
          billNumber: bill.number,
          kind: 'instalments',
          months,
          deferredUntil: null,
        },
        'billing',
        bill.issuedOn,
      );
    }
  };
}

const PLAN_COLUMNS = `id, customer_id AS "customerId", bill_number AS "billNumber", kind, months,
  deferred_until AS "deferredUntil", origin, status, amount, requested_by AS "requestedBy", decided_by AS "decidedBy",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "createdAt",
  settled_early_at IS NOT NULL AS "settledEarly"`;

async function withInstalments(db: SqlExecutor, plans: Omit<PlanView, 'instalments'>[]): Promise<PlanView[]> {
  if (!plans.length) return [];
  const { rows } = await db.query<{
    planId: string;
    seq: number;
    amount: number;
    dueMonth: string;
    posted: boolean;
  }>(
    `SELECT plan_id AS "planId", seq, amount, due_month AS "dueMonth", entry_id IS NOT NULL AS posted
       FROM plan_instalments WHERE plan_id = ANY($1) ORDER BY plan_id, seq`,
    [plans.map((p) => p.id)],
  );
  return plans.map((p) => ({
    ...p,
    amount: Number(p.amount),
    instalments: rows
      .filter((r) => r.planId === p.id)
      .map(({ planId: _p, ...i }) => ({ ...i, amount: Number(i.amount) })),
  }));
}

export async function getPlan(db: SqlExecutor, id: string): Promise<PlanView> {
  const { rows } = await db.query<Omit<PlanView, 'instalments'>>(
    `SELECT ${PLAN_COLUMNS} FROM instalment_plans WHERE id = $1`,
    [id],
  );
  if (!rows[0]) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_PLAN', { params: { id } });
  return (await withInstalments(db, rows))[0]!;
}

export async function listPlans(
  db: SqlExecutor,
  q: { customerId?: string; status?: PlanStatus; limit?: number },
): Promise<PlanView[]> {
  const { rows } = await db.query<Omit<PlanView, 'instalments'>>(
    `SELECT ${PLAN_COLUMNS} FROM instalment_plans
      WHERE ($1::text IS NULL OR customer_id = $1) AND ($2::text IS NULL OR status = $2)
      ORDER BY created_at DESC, id LIMIT $3`,
    [q.customerId ?? null, q.status ?? null, q.limit ?? 200],
  );
  return withInstalments(db, rows);
}
