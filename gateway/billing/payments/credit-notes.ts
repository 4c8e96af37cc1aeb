import '../errors.js';
import { GatewayError, type SqlDatabase } from '../../platform/index.js';
import type { Bill, BillDraft } from '../bills/bill.js';
import { BILL_COLUMNS, issueBills } from '../bills/bill-store.js';
import { divRound } from '../money/rounding.js';
import { audit, balanceOf, lockCustomer, settleCustomer } from './ledger.js';
import { positiveCentimes } from './payments.js';

/**
 * A credit note (issue 16 §4, §8): errors are corrected by a new document, never by editing the bill.
 * It is a bill of kind 'credit-note' (its own gap-free number) with negative amounts, split HT / VAT in
 * the corrected bill's proportion (one rounding, rounding.ts), and it settles the bill it corrects
 * first. A credit note for the whole bill cancels it. Audited.
 */
export async function issueCreditNote(
  db: SqlDatabase,
  input: { billNumber: string; amount: unknown; reason: string; by: string; today: string },
): Promise<Bill> {
  const amount = positiveCentimes('amount', input.amount);
  const { rows } = await db.query<Bill>(`SELECT ${BILL_COLUMNS} FROM bills WHERE number = $1`, [
    input.billNumber,
  ]);
  const bill = rows[0];
  if (!bill) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_BILL', { params: { number: input.billNumber } });
  if (bill.kind === 'credit-note' || bill.amountTTC <= 0) {
    throw new GatewayError('MG_ERR_BILLING_BAD_INPUT', {
      params: { reason: `${input.billNumber} carries no amount to credit` },
    });
  }
  return db.transaction(async (tx) => {
    const tax = -divRound(amount * Number(bill.tax), Number(bill.amountTTC));
    const ht = -amount - tax;
    const month = bill.periodTo.slice(0, 7);
    const draft: BillDraft = {
      ...bill,
      kind: 'credit-note',
      issuedOn: input.today,
      dueDate: input.today,
      paymentDeadline: input.today,
      consumption: 0,
      lines: [
        {
          kind: 'deduction',
          code: 'credit-note',
          label: {
            fr: `Avoir : ${input.reason}`,
            ar: `إشعار دائن: ${input.reason}`,
            en: `Credit note: ${input.reason}`,
          },
          month,
          tariffFrom: bill.lines[0]?.tariffFrom ?? bill.periodFrom,
          quantity: 1,
          unitPriceP4: ht * 100,
          ht,
          vatBp: Number(bill.tax) ? divRound(-tax * 10_000, Number(bill.amountHT)) : 0,
          tax,
          ttc: -amount,
        },
      ],
      months: [],
      amountHT: ht,
      tax,
      amountTTC: -amount,
      corrects: bill.number,
    };
    delete draft.runId;
    const { issued } = await issueBills(tx, [draft]);
    const note = issued[0]!;
    // Lock order as in the billing run: the year's counter (issueBills), then the customer.
    await lockCustomer(tx, bill.customerId);
    const { rows: prior } = await tx.query<{ c: number }>(
      `SELECT COALESCE(-sum(amount_ttc), 0) AS c FROM bills WHERE corrects = $1 AND kind = 'credit-note' AND number <> $2`,
      [bill.number, note.number],
    );
    const max = Number(bill.amountTTC) - Number(prior[0]!.c);
    if (amount > max) {
      throw new GatewayError('MG_ERR_BILLING_TOO_MUCH', { params: { field: 'amount', max: String(max) } });
    }
    await settleCustomer(tx, bill.customerId);
    await audit(tx, {
      actor: input.by,
      action: 'billing.credit-note',
      subject: note.number,
      detail: { corrects: bill.number, amount, reason: input.reason },
    });
    return note;
  });
}

/**
 * Pays back part of a customer's credit (an overpayment): a debit entry of kind 'refund', idempotent
 * by its reference, never more than the credit the customer has. Audited.
 */
export async function refundCredit(
  db: SqlDatabase,
  input: { customerId: string; amount: unknown; reference: string; by: string },
): Promise<{ reference: string; amount: number; balance: number }> {
  const amount = positiveCentimes('amount', input.amount);
  await db.transaction(async (tx) => {
    await lockCustomer(tx, input.customerId);
    const { rows: done } = await tx.query(
      `SELECT 1 FROM account_entries WHERE kind = 'refund' AND reference = $1`,
      [input.reference],
    );
    if (done[0]) return; // same reference again: already recorded (idempotent)
    const credit = -(await balanceOf(tx, input.customerId));
    if (amount > credit) {
      throw new GatewayError('MG_ERR_BILLING_TOO_MUCH', {
        params: { field: 'amount', max: String(Math.max(0, credit)) },
      });
    }
    await tx.query(
      `INSERT INTO account_entries (customer_id, kind, reference, amount) VALUES ($1, 'refund', $2, $3)`,
      [input.customerId, input.reference, amount],
    );
    await settleCustomer(tx, input.customerId);
    await audit(tx, {
      actor: input.by,
      action: 'billing.refund',
      subject: input.customerId,
      detail: { amount, reference: input.reference },
    });
  });
  return { reference: input.reference, amount, balance: await balanceOf(db, input.customerId) };
}
