import { billSummary, getBill, listBills, type Bill } from '../../billing/index.js';
import { GatewayError, type SqlExecutor } from '../../platform/index.js';
import './errors.js';

/** One row of "my bills": billing's bill summary (amounts in integer centimes), consumption and the PDF link. */
export type MyBill = ReturnType<typeof billSummary> & { consumption: number; currency: string; pdf: string };

export interface MyBillsQuery {
  /** YYYY-MM or YYYY: the due date's month or year. */
  due?: string;
  contract?: string;
  customerNumber?: string;
  limit?: number;
}

export const DEFAULT_BILLS = 6;

export const myBill = (b: Bill): MyBill => ({
  ...billSummary(b),
  consumption: b.consumption,
  currency: b.currency,
  pdf: `/api/agency/bills/${b.number}.pdf`,
});

/** The customer's bills, newest first: the last 6 by default, filtered by due month, contract or meter. */
export async function myBills(
  db: SqlExecutor,
  customerId: string,
  q: MyBillsQuery,
  today: string,
): Promise<MyBill[]> {
  const all = await listBills(db, { customerId, limit: 1000 }, today);
  return all
    .filter(
      (b) =>
        (!q.due || b.dueDate.startsWith(q.due)) &&
        (!q.contract || b.contractNumber === q.contract || b.meterId === q.contract) &&
        (!q.customerNumber || b.customerNumber === q.customerNumber),
    )
    .slice(0, q.limit ?? DEFAULT_BILLS)
    .map(myBill);
}

/** One of the customer's own bills; another customer's answers exactly like an unknown number. */
export async function ownBill(
  db: SqlExecutor,
  customerId: string,
  number: string,
  today: string,
): Promise<Bill> {
  const notFound = () => new GatewayError('MG_ERR_AGENCY_NOT_FOUND', { params: { what: number } });
  let bill: Bill;
  try {
    bill = await getBill(db, number, today);
  } catch (err) {
    if (err instanceof GatewayError && err.code === 'MG_ERR_BILLING_UNKNOWN_BILL') throw notFound();
    throw err;
  }
  if (bill.customerId !== customerId) throw notFound();
  return bill;
}

/** Amounts billed and consumption per month over the last `months` months (the reports' chart). */
export function monthlyTotals(
  bills: MyBill[],
  lastMonth: string,
  months = 6,
): { month: string; amountTTC: number; consumption: number }[] {
  const out: { month: string; amountTTC: number; consumption: number }[] = [];
  let [y, m] = lastMonth.split('-').map(Number) as [number, number];
  for (let i = 0; i < months; i++) {
    out.unshift({ month: `${y}-${String(m).padStart(2, '0')}`, amountTTC: 0, consumption: 0 });
    if (--m === 0) [y, m] = [y - 1, 12];
  }
  for (const b of bills) {
    const row = out.find((r) => r.month === b.periodFrom.slice(0, 7));
    if (row && b.kind !== 'credit-note') {
      row.amountTTC += b.amountTTC;
      row.consumption += b.consumption;
    }
  }
  return out;
}
