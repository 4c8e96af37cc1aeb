import '../errors.js';
import { GatewayError, type SqlExecutor } from '../../platform/index.js';
import { lockCustomer, settleCustomer } from '../payments/ledger.js';
import { billNumber, type Bill, type BillDraft } from './bill.js';

/** Instalments of plans falling due on the bills being issued (payments/plans plug in here). */
export type InstalmentsDue = (
  tx: SqlExecutor,
  drafts: readonly BillDraft[],
) => Promise<Map<string, { amount: number; items: unknown[] }>>;

/** Runs in the issuing transaction once the bills are stored (automatic instalment plans). */
export type AfterIssue = (tx: SqlExecutor, bills: readonly Bill[]) => Promise<void>;

export interface IssueResult {
  issued: Bill[];
  /** Drafts dropped because their contract already has a bill for the period. */
  skipped: BillDraft[];
}

const ENTRY_KIND: Record<BillDraft['kind'], string> = {
  periodic: 'bill',
  regularisation: 'regularisation',
  'credit-note': 'credit-note',
};

/**
 * Issues bills inside the caller's transaction. The year's counter row is locked FIRST, which
 * serialises every issuer of that year: the check for an existing bill of the same (contract,
 * period) and the numbering then see everything committed before, so a restarted or concurrent run
 * neither issues a bill twice nor leaves a hole. The counter advances in this same transaction, so a
 * rollback gives its numbers back. Each bill adds its TTC to the customer's `account_entries`.
 */
export async function issueBills(
  tx: SqlExecutor,
  drafts: readonly BillDraft[],
  options: { instalmentsDue?: InstalmentsDue; afterIssue?: AfterIssue } = {},
): Promise<IssueResult> {
  if (!drafts.length) return { issued: [], skipped: [] };
  const years = [...new Set(drafts.map((d) => Number(d.issuedOn.slice(0, 4))))].sort();
  const last = new Map<number, number>();
  for (const y of years) {
    await tx.query('INSERT INTO bill_counters (year, last) VALUES ($1, 0) ON CONFLICT (year) DO NOTHING', [
      y,
    ]);
    const { rows } = await tx.query<{ last: number }>(
      'SELECT last FROM bill_counters WHERE year = $1 FOR UPDATE',
      [y],
    );
    last.set(y, Number(rows[0]!.last));
  }
  const periodic = drafts.filter((d) => d.kind !== 'credit-note');
  const taken = new Set<string>();
  if (periodic.length) {
    const { rows } = await tx.query<{ c: string; p: string }>(
      `SELECT contract_number AS c, period_key AS p FROM bills
        WHERE contract_number = ANY($1) AND period_key = ANY($2) AND kind <> 'credit-note'`,
      [[...new Set(periodic.map((d) => d.contractNumber))], [...new Set(periodic.map((d) => d.periodKey))]],
    );
    for (const r of rows) taken.add(`${r.c}\u0000${r.p}`);
  }
  const skipped: BillDraft[] = [];
  const fresh: BillDraft[] = [];
  for (const d of drafts) {
    const key = `${d.contractNumber}\u0000${d.periodKey}`;
    if (d.kind !== 'credit-note' && taken.has(key)) skipped.push(d);
    else {
      if (d.kind !== 'credit-note') taken.add(key);
      fresh.push(d);
    }
  }
  if (!fresh.length) return { issued: [], skipped };

  const customers = [...new Set(fresh.map((d) => d.customerId))];
  const { rows: balances } = await tx.query<{ id: string; balance: number }>(
    `SELECT customer_id AS id, COALESCE(SUM(amount), 0) AS balance FROM account_entries
      WHERE customer_id = ANY($1) GROUP BY customer_id`,
    [customers],
  );
  const balance = new Map(balances.map((b) => [b.id, Number(b.balance)]));
  const due = (await options.instalmentsDue?.(tx, fresh)) ?? new Map();

  const issued: Bill[] = fresh.map((d) => {
    const year = Number(d.issuedOn.slice(0, 4));
    const seq = last.get(year)! + 1;
    last.set(year, seq);
    const previousBalance = balance.get(d.customerId) ?? 0;
    const inst = due.get(d.contractNumber) ?? { amount: 0, items: [] };
    balance.set(d.customerId, previousBalance + d.amountTTC + inst.amount);
    return {
      ...d,
      number: billNumber(year, seq),
      year,
      seq,
      status: 'issued',
      previousBalance,
      instalmentsDue: inst.amount,
      instalments: inst.items,
      amountDue: previousBalance + d.amountTTC + inst.amount,
    };
  });

  await tx.query(
    `INSERT INTO bills (number, year, seq, kind, status, customer_id, customer_number, contract_number, meter_id, service,
       period_key, period_from, period_to, issued_on, due_date, payment_deadline, previous_index, previous_quality,
       new_index, new_quality, consumption, estimated, tariff_id, currency, lines, months, amount_ht, tax, amount_ttc,
       previous_balance, instalments_due, instalments, amount_due, corrects, run_id)
     SELECT number, year, seq, kind, status, "customerId", "customerNumber", "contractNumber", "meterId", service,
       "periodKey", "periodFrom", "periodTo", "issuedOn", "dueDate", "paymentDeadline", "previousIndex", "previousQuality",
       "newIndex", "newQuality", consumption, estimated, "tariffId", currency, lines, months, "amountHT", tax, "amountTTC",
       "previousBalance", "instalmentsDue", instalments, "amountDue", corrects, "runId"
     FROM jsonb_to_recordset($1::jsonb) AS x(number text, year int, seq int, kind text, status text, "customerId" text,
       "customerNumber" text, "contractNumber" text, "meterId" text, service text, "periodKey" text, "periodFrom" date,
       "periodTo" date, "issuedOn" date, "dueDate" date, "paymentDeadline" date, "previousIndex" bigint,
       "previousQuality" text, "newIndex" bigint, "newQuality" text, consumption bigint, estimated boolean,
       "tariffId" text, currency text, lines jsonb, months jsonb, "amountHT" bigint, tax bigint, "amountTTC" bigint,
       "previousBalance" bigint, "instalmentsDue" bigint, instalments jsonb, "amountDue" bigint, corrects text, "runId" text)`,
    [JSON.stringify(issued)],
  );
  await tx.query(
    `INSERT INTO account_entries (customer_id, contract_number, kind, reference, amount, bill_number, due_date, detail)
     SELECT c, k, kind, n, a, n, d::date, '{}'::jsonb FROM jsonb_to_recordset($1::jsonb)
       AS x(c text, k text, kind text, n text, a bigint, d text)`,
    [
      JSON.stringify(
        issued.map((b) => ({
          c: b.customerId,
          k: b.contractNumber,
          kind: ENTRY_KIND[b.kind],
          n: b.number,
          a: b.amountTTC,
          d: b.paymentDeadline,
        })),
      ),
    ],
  );
  for (const y of years)
    await tx.query('UPDATE bill_counters SET last = $2 WHERE year = $1', [y, last.get(y)]);
  // A customer in credit (an overpayment, a credit note) has it allocated to the new bills now.
  for (const [id, before] of balances.map((b) => [b.id, Number(b.balance)] as const)) {
    if (before < 0) {
      await lockCustomer(tx, id);
      await settleCustomer(tx, id);
    }
  }
  await options.afterIssue?.(tx, issued);
  return { issued, skipped };
}

export const BILL_COLUMNS = `number, year, seq, kind, status, customer_id AS "customerId", customer_number AS "customerNumber",
  contract_number AS "contractNumber", meter_id AS "meterId", service, period_key AS "periodKey",
  to_char(period_from, 'YYYY-MM-DD') AS "periodFrom", to_char(period_to, 'YYYY-MM-DD') AS "periodTo",
  to_char(issued_on, 'YYYY-MM-DD') AS "issuedOn", to_char(due_date, 'YYYY-MM-DD') AS "dueDate",
  to_char(payment_deadline, 'YYYY-MM-DD') AS "paymentDeadline", previous_index AS "previousIndex",
  previous_quality AS "previousQuality", new_index AS "newIndex", new_quality AS "newQuality", consumption, estimated,
  tariff_id AS "tariffId", currency, lines, months, amount_ht AS "amountHT", tax, amount_ttc AS "amountTTC",
  previous_balance AS "previousBalance", instalments_due AS "instalmentsDue", instalments, amount_due AS "amountDue",
  corrects, run_id AS "runId"`;

/** The status as the customer sees it today: an unpaid bill past its deadline is overdue. */
export function effectiveStatus(
  b: Pick<Bill, 'status' | 'paymentDeadline' | 'amountTTC'>,
  today: string,
): Bill['status'] {
  if (
    (b.status === 'issued' || b.status === 'partially-paid') &&
    b.amountTTC > 0 &&
    b.paymentDeadline < today
  )
    return 'overdue';
  return b.status;
}

function clean(row: Bill, today: string): Bill {
  const b = { ...row, status: effectiveStatus(row, today) } as Bill & {
    corrects: string | null;
    runId: string | null;
  };
  if (b.corrects === null) delete (b as Partial<Bill>).corrects;
  if (b.runId === null) delete (b as Partial<Bill>).runId;
  return b;
}

export async function getBill(db: SqlExecutor, number: string, today: string): Promise<Bill> {
  const { rows } = await db.query<Bill>(`SELECT ${BILL_COLUMNS} FROM bills WHERE number = $1`, [number]);
  if (!rows[0]) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_BILL', { params: { number } });
  return clean(rows[0], today);
}

export async function listBills(
  db: SqlExecutor,
  q: { customerId: string; from?: string; to?: string; contract?: string; limit?: number },
  today: string,
): Promise<Bill[]> {
  const { rows } = await db.query<Bill>(
    `SELECT ${BILL_COLUMNS} FROM bills
      WHERE customer_id = $1 AND ($2::date IS NULL OR period_to >= $2::date) AND ($3::date IS NULL OR period_from <= $3::date)
        AND ($4::text IS NULL OR contract_number = $4)
      ORDER BY period_to DESC, number DESC LIMIT $5`,
    [q.customerId, q.from ?? null, q.to ?? null, q.contract ?? null, q.limit ?? 500],
  );
  return rows.map((r) => clean(r, today));
}
