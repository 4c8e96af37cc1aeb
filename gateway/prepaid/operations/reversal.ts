import { formatTokenDigits } from '../../../token-engine/index.js';
import { type Principal, type SqlExecutor } from '../../platform/index.js';
import { LedgerError } from '../ledger/errors.js';
import {
  audit,
  cents,
  money,
  monthKey,
  issueHead,
  newVendId,
  requestHash,
  writeIssue,
  type IssueResult,
} from '../vending/ledger-tx.js';
import type { VendingService } from '../vending/service.js';
import { moveVendor } from '../vendors/vendors.js';

/** What the operator is told on every reversal: an STS token cannot be revoked at the meter. */
export const STS_CANNOT_REVOKE =
  'Jeton annulé dans le registre, mais un jeton STS ne peut pas être révoqué : saisi au compteur, il serait encore accepté. / ' +
  'Token cancelled in the ledger, but an STS token cannot be revoked: typed at the meter it would still be accepted.';

export const DEFAULT_REVERSAL_WINDOW_MINUTES = 60;

interface VendRow {
  id: string;
  kind: string;
  meter_id: string;
  customer_id: string;
  vendor_id: string | null;
  money: number;
  tax: number;
  fixed_charges: number;
  debt_recovered: number;
  energy_money: number;
  units: number;
  receipt: IssueResult;
  created_at: Date;
}

async function visibleVend(db: SqlExecutor, principal: Principal, vendId: string): Promise<VendRow> {
  const { rows } = await db.query<VendRow>('SELECT * FROM vends WHERE id = $1', [vendId]);
  const v = rows[0];
  const visible =
    v &&
    (principal.role === 'admin' ||
      principal.role === 'operator' ||
      (principal.role === 'vendor' && v.vendor_id === principal.vendorId) ||
      (principal.role === 'customer' && v.customer_id === principal.customerId));
  if (!visible) throw new LedgerError('MG_ERR_VEND_UNKNOWN');
  return v;
}

export interface ReverseRequest {
  /** Where the money goes back (default: the vendor's float when a vendor sold it, else the customer). */
  refundTo?: 'vendor' | 'customer';
  reason?: string;
}

/**
 * Reverse a purchase (`POST /api/vends/:id/reverse`) within the window and while no token of it
 * was accepted by the meter: a 'reversal' vend of the opposite amounts, a negative payment to the
 * vendor's float or the customer, the debt recovery undone, the month's position restored, the
 * credit token marked cancelled, and the audit entry saying the token cannot be revoked at the
 * meter. Idempotent by vend: reversing twice answers the first reversal.
 */
export async function reverseVend(
  service: VendingService,
  principal: Principal,
  vendId: string,
  req: ReverseRequest,
): Promise<IssueResult> {
  const original = await visibleVend(service.db, principal, vendId);
  if (original.kind !== 'purchase') {
    throw new LedgerError('MG_ERR_VEND_NOT_REVERSIBLE', {
      details: { reason: `vend ${vendId} is a ${original.kind}` },
    });
  }
  const refundTo = req.refundTo ?? (original.vendor_id ? 'vendor' : 'customer');
  const hash = requestHash({ op: 'reverse', vendId, refundTo });
  const windowMinutes = service.options.reversalWindowMinutes ?? DEFAULT_REVERSAL_WINDOW_MINUTES;
  return service.issue(
    original.meter_id,
    `reverse:${vendId}`,
    hash,
    async (tx, meter) => {
      const now = service.now();
      if (now.getTime() - new Date(original.created_at).getTime() > windowMinutes * 60_000) {
        throw new LedgerError('MG_ERR_VEND_REVERSAL_WINDOW', { params: { minutes: windowMinutes } });
      }
      const tokens = await tx.query<{ digits: string; status: string }>(
        'SELECT digits, status FROM tokens WHERE vend_id = $1 AND token_class = 0 ORDER BY id',
        [vendId],
      );
      if (tokens.rows.some((t) => t.status === 'accepted')) {
        throw new LedgerError('MG_ERR_VEND_REVERSAL_ACCEPTED', { details: { vendId } });
      }
      const credited = await tx.query('SELECT 1 FROM vends WHERE credit_note_of = $1 LIMIT 1', [vendId]);
      if (credited.rows.length) {
        throw new LedgerError('MG_ERR_VEND_NOT_REVERSIBLE', {
          details: { reason: `vend ${vendId} already has a credit note` },
        });
      }
      await tx.query(
        `UPDATE tokens SET status = 'cancelled', reason = 'reversed', updated_at = $2 WHERE vend_id = $1 AND token_class = 0`,
        [vendId, now],
      );
      const neg = (x: number): number => money(-cents(Number(x)));
      const units = Number(original.units);
      const recovered = Number(original.debt_recovered);
      const samePosition = meter.position_month === monthKey(new Date(original.created_at));
      const reversalId = newVendId();
      const cancelled = tokens.rows.map((t) => t.digits);
      const result: IssueResult = {
        ...issueHead('reversal', meter, `reverse:${vendId}`, original.vendor_id, now, reversalId),
        receipt: {
          reversalOf: vendId,
          refundTo,
          refund: Number(original.money),
          debtRestored: recovered,
          units: -units,
          cancelledTokens: cancelled,
          reason: req.reason ?? null,
          stsCannotRevoke: true,
          notice: STS_CANNOT_REVOKE,
        },
        tokens: [],
        token: '',
      };
      const vendorMove =
        refundTo === 'vendor' && original.vendor_id
          ? (
              await tx.query<{ vendor_id: string; amount: number; cash: number; commission: number }>(
                `SELECT vendor_id, amount, cash, commission FROM vendor_movements WHERE vend_id = $1 AND kind = 'vend'`,
                [vendId],
              )
            ).rows[0]
          : undefined;
      await writeIssue(
        tx,
        {
          result,
          requestHash: hash,
          principal,
          money: neg(original.money),
          tax: neg(original.tax),
          fixed: neg(original.fixed_charges),
          recovered: neg(recovered),
          energy: neg(original.energy_money),
          units: -units,
        },
        meter,
        {
          position: samePosition
            ? {
                month: meter.position_month!,
                units: Math.max(0, Math.round((meter.position_units - units) * 10) / 10),
                fixed: money(Math.max(0, cents(meter.position_fixed) - cents(original.fixed_charges))),
              }
            : null,
          payment: neg(original.money),
          refundTo,
          recovery: recovered > 0 ? neg(recovered) : undefined,
          reversalOf: vendId,
          auditAction: 'vend.reverse',
          auditDetail: {
            vendId: reversalId,
            reversalOf: vendId,
            refundTo,
            refund: Number(original.money),
            debtRestored: recovered,
            cancelledTokens: cancelled,
            stsCannotRevoke: true,
            reason: req.reason ?? null,
          },
          lastInTransaction: !vendorMove,
        },
      );
      if (vendorMove) {
        await moveVendor(tx, {
          vendorId: vendorMove.vendor_id,
          kind: 'reversal',
          amount: neg(vendorMove.amount),
          cash: neg(vendorMove.cash),
          commission: neg(vendorMove.commission),
          vendId: reversalId,
          actor: principal.id,
          at: now,
        });
      }
      return result;
      // The reversal row carries the sale's vendor, so its requestId lives in that vendor's scope.
    },
    original.vendor_id,
  );
}

export interface CreditNoteRequest {
  requestId: string;
  /** Money refunded (default: what is left of the sale after earlier credit notes). */
  amount?: number;
  reason: string;
}

/**
 * A credit note by an operator (`POST /api/vends/:id/credit-note`): the path after the meter
 * accepted the token (or after the reversal window), when the sale can no longer be reversed. The
 * units stay delivered; money goes back to the customer as a 'credit-note' vend with negative
 * money and a negative payment, never beyond the sale's money over all its credit notes; audited.
 */
export async function creditNote(
  service: VendingService,
  principal: Principal,
  vendId: string,
  req: CreditNoteRequest,
): Promise<IssueResult> {
  const original = await visibleVend(service.db, principal, vendId);
  const refuse = (reason: string): LedgerError =>
    new LedgerError('MG_ERR_VEND_CREDIT_NOTE', { params: { reason } });
  if (original.kind !== 'purchase') throw refuse(`vend ${vendId} is a ${original.kind}, not a purchase`);
  const hash = requestHash({ op: 'credit-note', vendId, amount: req.amount ?? null, reason: req.reason });
  return service.issue(
    original.meter_id,
    `credit-note:${vendId}:${req.requestId}`,
    hash,
    async (tx, meter) => {
      const { rows } = await tx.query<{ credited: number; reversed: boolean }>(
        `SELECT COALESCE((SELECT -sum(money) FROM vends WHERE credit_note_of = $1), 0) AS credited,
              EXISTS (SELECT 1 FROM vends WHERE reversal_of = $1) AS reversed`,
        [vendId],
      );
      if (rows[0]!.reversed) throw refuse(`vend ${vendId} was reversed`);
      const left = cents(Number(original.money)) - cents(Number(rows[0]!.credited));
      const amount = req.amount === undefined ? left : cents(req.amount);
      if (amount <= 0 || amount > left)
        throw refuse(`at most ${money(left)} is left to credit on vend ${vendId}`);
      const now = service.now();
      const result: IssueResult = {
        ...issueHead('credit-note', meter, `credit-note:${vendId}:${req.requestId}`, original.vendor_id, now),
        receipt: {
          creditNoteOf: vendId,
          refund: money(amount),
          refundTo: 'customer',
          reason: req.reason,
          unitsDelivered: Number(original.units),
        },
        tokens: [],
        token: '',
      };
      await writeIssue(tx, { result, requestHash: hash, principal, money: money(-amount) }, meter, {
        payment: money(-amount),
        refundTo: 'customer',
        creditNoteOf: vendId,
        auditAction: 'vend.credit-note',
        auditDetail: {
          vendId: result.vendId,
          creditNoteOf: vendId,
          refund: money(amount),
          reason: req.reason,
        },
      });
      return result;
    },
    original.vendor_id,
  );
}

/**
 * Reprint a past vend (`POST /api/vends/:id/reprint`): the stored receipt and the same tokens,
 * marked "COPIE / DUPLICATA" with the copy number, who and when; audited; no token is created.
 * A vendor reprints only its own sales.
 */
export async function reprintVend(
  service: VendingService,
  principal: Principal,
  vendId: string,
): Promise<Record<string, unknown>> {
  const v = await visibleVend(service.db, principal, vendId);
  const now = service.now();
  return service.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'vend.reprint' AND subject = $1`,
      [vendId],
    );
    const copy = Number(rows[0]!.n) + 1;
    const status = await tx.query<{ digits: string; status: string }>(
      'SELECT digits, status FROM tokens WHERE vend_id = $1 ORDER BY id',
      [vendId],
    );
    await audit(tx, principal, 'vend.reprint', vendId, { copy, meterId: v.meter_id, at: now.toISOString() });
    const receipt = v.receipt;
    return {
      ...receipt,
      duplicate: {
        mark: 'COPIE / DUPLICATA',
        copy,
        reprintedBy: principal.id,
        reprintedAt: now.toISOString(),
      },
      tokens: receipt.tokens.map((t) => ({
        ...t,
        grouped: formatTokenDigits(t.digits),
        status: status.rows.find((s) => s.digits === t.digits)?.status ?? 'issued',
      })),
    };
  });
}
