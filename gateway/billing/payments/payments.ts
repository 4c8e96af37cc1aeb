import { randomUUID } from 'node:crypto';
import '../errors.js';
import { GatewayError, isUniqueViolation, type SqlDatabase, type SqlExecutor } from '../../platform/index.js';
import { isCentimes } from '../money/rounding.js';
import { audit, balanceOf, lockCustomer, settleCustomer } from './ledger.js';

export const PAYMENT_CHANNELS = ['agency', 'transfer', 'wallet', 'card'] as const;
export type PaymentChannel = (typeof PAYMENT_CHANNELS)[number];

export interface PaymentInput {
  billNumber?: string;
  customerId?: string;
  /** Integer centimes > 0. */
  amount: unknown;
  channel: PaymentChannel;
  /** The channel's own reference (counter receipt, bank transfer id, wallet or card transaction). */
  reference: string;
  recordedBy: string;
  /** Bills to settle first (an online checkout of several bills); default: the billNumber. */
  targets?: string[];
}

export interface PaymentAllocationView {
  billNumber: string | null;
  kind: string;
  amount: number;
}

export interface PaymentView {
  id: string;
  receiptNumber: string;
  customerId: string;
  billNumber: string | null;
  channel: PaymentChannel;
  reference: string;
  amount: number;
  at: string;
  allocations: PaymentAllocationView[];
  /** Part of the payment not allocated to any bill: credit carried to the next bill. */
  credit: number;
  /** The customer's balance after it (> 0 owed, < 0 credit). */
  balance: number;
}

/** Refuses anything but a safe positive integer of centimes (MG_ERR_BILLING_BAD_AMOUNT). */
export function positiveCentimes(field: string, value: unknown): number {
  if (!isCentimes(value) || value === 0)
    throw new GatewayError('MG_ERR_BILLING_BAD_AMOUNT', { params: { field } });
  return value;
}

interface BillRef {
  customerId: string;
  kind: string;
  status: string;
}

async function billRef(db: SqlExecutor, number: string): Promise<BillRef> {
  const { rows } = await db.query<BillRef>(
    'SELECT customer_id AS "customerId", kind, status FROM bills WHERE number = $1',
    [number],
  );
  if (!rows[0]) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_BILL', { params: { number } });
  return rows[0];
}

/**
 * Records a payment from any channel (issue 16 §7) in one transaction: the payment row (idempotent by
 * channel and reference: the same reference again returns the same payment), its credit entry, the
 * allocation oldest due first (the named bill first), the bills' statuses and the audit record.
 * Refused: a bad amount, an unknown bill or customer, a cancelled bill or a credit note, the same
 * reference with another amount or customer.
 */
export async function recordPayment(
  db: SqlDatabase,
  input: PaymentInput,
): Promise<PaymentView & { replay: boolean }> {
  const amount = positiveCentimes('amount', input.amount);
  let customerId = input.customerId;
  if (input.billNumber) {
    const bill = await billRef(db, input.billNumber);
    if (customerId && customerId !== bill.customerId) {
      throw new GatewayError('MG_ERR_BILLING_BAD_INPUT', {
        params: { reason: `bill ${input.billNumber} is not a bill of customer ${customerId}` },
      });
    }
    if (bill.kind === 'credit-note') {
      throw new GatewayError('MG_ERR_BILLING_BAD_INPUT', {
        params: { reason: `${input.billNumber} is a credit note` },
      });
    }
    if (bill.status === 'cancelled')
      throw new GatewayError('MG_ERR_BILLING_BILL_CANCELLED', { params: { number: input.billNumber } });
    customerId = bill.customerId;
  }
  if (!customerId) {
    throw new GatewayError('MG_ERR_BILLING_BAD_INPUT', {
      params: { reason: 'billNumber or customerId is required' },
    });
  }
  const owner = customerId;
  const id = await db
    .transaction(async (tx) => {
      await lockCustomer(tx, owner);
      const existing = await tx.query<{ id: string; customerId: string; amount: number }>(
        `SELECT id, customer_id AS "customerId", amount FROM bill_payments WHERE channel = $1 AND reference = $2`,
        [input.channel, input.reference],
      );
      if (existing.rows[0]) return { id: existing.rows[0].id, replay: true, prior: existing.rows[0] };
      const paymentId = `pay-${randomUUID()}`;
      const entry = await tx.query<{ id: number }>(
        `INSERT INTO account_entries (customer_id, kind, reference, amount, detail)
       VALUES ($1, 'payment', $2, $3, $4) RETURNING id`,
        [
          owner,
          paymentId,
          -amount,
          JSON.stringify({
            channel: input.channel,
            targets: input.targets ?? (input.billNumber ? [input.billNumber] : []),
          }),
        ],
      );
      await tx.query(
        `INSERT INTO bill_payments (id, receipt_number, customer_id, bill_number, channel, reference, amount, entry_id, recorded_by)
       VALUES ($1, 'REC-' || to_char(now(), 'YYYY') || '-' || lpad(nextval('bill_payment_receipts')::text, 6, '0'),
               $2, $3, $4, $5, $6, $7, $8)`,
        [
          paymentId,
          owner,
          input.billNumber ?? null,
          input.channel,
          input.reference,
          amount,
          entry.rows[0]!.id,
          input.recordedBy,
        ],
      );
      await settleCustomer(tx, owner);
      await audit(tx, {
        actor: input.recordedBy,
        action: 'billing.payment',
        subject: paymentId,
        detail: {
          customerId: owner,
          amount,
          channel: input.channel,
          reference: input.reference,
          billNumber: input.billNumber ?? null,
        },
      });
      return { id: paymentId, replay: false, prior: undefined };
    })
    .catch((err: unknown) => {
      // The same reference recorded concurrently for another customer: the unique key answers.
      if (isUniqueViolation(err))
        throw new GatewayError('MG_ERR_BILLING_DUPLICATE', {
          params: { what: `payment ${input.channel}/${input.reference}` },
        });
      throw err;
    });
  if (id.prior && (id.prior.customerId !== owner || Number(id.prior.amount) !== amount)) {
    throw new GatewayError('MG_ERR_BILLING_DUPLICATE', {
      params: { what: `payment ${input.channel}/${input.reference} (another amount or customer)` },
    });
  }
  return { ...(await getPayment(db, id.id)), replay: id.replay };
}

export async function getPayment(db: SqlExecutor, id: string): Promise<PaymentView> {
  const { rows } = await db.query<
    Omit<PaymentView, 'allocations' | 'credit' | 'balance'> & { entryId: number }
  >(
    `SELECT id, receipt_number AS "receiptNumber", customer_id AS "customerId", bill_number AS "billNumber", channel,
            reference, amount, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, entry_id AS "entryId"
       FROM bill_payments WHERE id = $1`,
    [id],
  );
  const p = rows[0];
  if (!p) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_PAYMENT', { params: { id } });
  const { rows: allocs } = await db.query<PaymentAllocationView>(
    `SELECT d.bill_number AS "billNumber", d.kind, a.amount FROM payment_allocations a
       JOIN account_entries d ON d.id = a.debit_entry WHERE a.credit_entry = $1 ORDER BY a.id`,
    [p.entryId],
  );
  const { entryId: _e, ...view } = p;
  const allocations = allocs.map((a) => ({ ...a, amount: Number(a.amount) }));
  return {
    ...view,
    amount: Number(view.amount),
    allocations,
    credit: Number(view.amount) - allocations.reduce((s, a) => s + a.amount, 0),
    balance: await balanceOf(db, view.customerId),
  };
}
