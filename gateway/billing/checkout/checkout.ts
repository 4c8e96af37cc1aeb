import { randomUUID } from 'node:crypto';
import '../errors.js';
import { GatewayError, type SqlDatabase } from '../../platform/index.js';
import { recordPayment, type PaymentView } from '../payments/payments.js';
import type { PaymentProvider } from './provider.js';

export interface StartCheckoutInput {
  customerId: string;
  /** One or several of the customer's bills, paid together. */
  billNumbers: string[];
  /** Where the customer's browser comes back after the provider's page. */
  returnUrl?: string;
}

export interface CheckoutStarted {
  sessionId: string;
  checkoutUrl: string;
  amount: number;
}

export interface CheckoutSession {
  id: string;
  provider: string;
  customerId: string;
  billNumbers: string[];
  amount: number;
  returnUrl: string | null;
  status: 'pending' | 'paid' | 'declined';
  paymentId: string | null;
}

export interface CallbackResult {
  outcome: 'paid' | 'declined' | 'replay';
  session: CheckoutSession;
  payment?: PaymentView;
}

/** Callbacks older than this are refused (a captured callback cannot be replayed later). */
const MAX_CALLBACK_AGE_MS = 15 * 60_000;

/**
 * Online payment (issue 16 §7): a checkout session for one or several bills, the provider's page, and
 * its signed callback recorded as a card payment whose reference is the provider's transaction id.
 * Replay-safe: a bad signature, a stale or unknown session, another amount, or a second transaction
 * for a paid session are refused and logged (`payment_callbacks`) and nothing is recorded; the same
 * callback again answers the same payment.
 */
export class CheckoutService {
  constructor(
    private readonly db: SqlDatabase,
    private readonly provider: PaymentProvider,
    private readonly options: {
      publicUrl: string;
      clock?: () => Date;
      log?: (level: 'info' | 'warn' | 'error', message: string) => void;
    },
  ) {}

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  async startCheckout(input: StartCheckoutInput): Promise<CheckoutStarted> {
    const bills = [...new Set(input.billNumbers)];
    if (!bills.length || bills.length > 24) {
      throw new GatewayError('MG_ERR_BILLING_BAD_INPUT', { params: { reason: 'between 1 and 24 bills' } });
    }
    const { rows } = await this.db.query<{
      number: string;
      customerId: string;
      status: string;
      open: number;
    }>(
      `SELECT b.number, b.customer_id AS "customerId", b.status,
              COALESCE((SELECT sum(e.amount - COALESCE((SELECT sum(a.amount) FROM payment_allocations a WHERE a.debit_entry = e.id), 0))
                 FROM account_entries e WHERE e.bill_number = b.number AND e.amount > 0), 0) AS open
         FROM bills b WHERE b.number = ANY($1)`,
      [bills],
    );
    for (const n of bills) {
      const b = rows.find((r) => r.number === n);
      if (!b) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_BILL', { params: { number: n } });
      if (b.customerId !== input.customerId) throw new GatewayError('MG_ERR_BILLING_FORBIDDEN');
      if (b.status === 'cancelled')
        throw new GatewayError('MG_ERR_BILLING_BILL_CANCELLED', { params: { number: n } });
    }
    const amount = rows.reduce((s, r) => s + Math.max(0, Number(r.open)), 0);
    if (amount <= 0) {
      throw new GatewayError('MG_ERR_BILLING_BAD_INPUT', {
        params: { reason: 'nothing left to pay on these bills' },
      });
    }
    const sessionId = `chk-${randomUUID()}`;
    await this.db.query(
      `INSERT INTO checkout_sessions (id, provider, customer_id, bill_numbers, amount, return_url)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        sessionId,
        this.provider.name,
        input.customerId,
        JSON.stringify(bills),
        amount,
        input.returnUrl ?? null,
      ],
    );
    const base = this.options.publicUrl.replace(/\/$/, '');
    const checkoutUrl = this.provider.checkoutUrl({
      sessionId,
      amount,
      currency: 'MAD',
      description: `Factures ${bills.join(', ')}`,
      callbackUrl: `${base}/api/payments/callback/${this.provider.name}`,
      returnUrl: input.returnUrl ?? `${base}/`,
    });
    return { sessionId, checkoutUrl, amount };
  }

  async getSession(id: string): Promise<CheckoutSession> {
    const { rows } = await this.db.query<CheckoutSession>(
      `SELECT id, provider, customer_id AS "customerId", bill_numbers AS "billNumbers", amount,
              return_url AS "returnUrl", status, payment_id AS "paymentId"
         FROM checkout_sessions WHERE id = $1`,
      [id],
    );
    if (!rows[0]) throw new GatewayError('MG_ERR_BILLING_UNKNOWN_CHECKOUT', { params: { id } });
    return { ...rows[0], amount: Number(rows[0].amount) };
  }

  private async refuse(sessionId: string | null, reason: string): Promise<never> {
    await this.db.query(
      `INSERT INTO payment_callbacks (provider, session_id, outcome, reason) VALUES ($1, $2, 'refused', $3)`,
      [this.provider.name, sessionId, reason],
    );
    this.options.log?.('warn', `payment callback refused (${this.provider.name}): ${reason}`);
    throw new GatewayError('MG_ERR_BILLING_BAD_CALLBACK', { params: { reason } });
  }

  /** A provider's callback: verified, then recorded once. */
  async handleCallback(provider: string, fields: Record<string, unknown>): Promise<CallbackResult> {
    const sid = typeof fields.sessionId === 'string' ? fields.sessionId.slice(0, 80) : null;
    if (provider !== this.provider.name) return this.refuse(sid, `unknown provider ${provider.slice(0, 40)}`);
    const outcome = this.provider.verifyCallback(fields);
    if (typeof outcome === 'string') return this.refuse(sid, outcome);
    const at = Date.parse(outcome.at);
    if (!Number.isFinite(at) || Math.abs(this.now().getTime() - at) > MAX_CALLBACK_AGE_MS) {
      return this.refuse(outcome.sessionId, 'stale callback');
    }
    const session = await this.getSession(outcome.sessionId).catch(() => null);
    if (!session) return this.refuse(outcome.sessionId, 'unknown session');
    if (outcome.amount !== session.amount) return this.refuse(session.id, 'amount differs from the session');
    if (session.status === 'paid') {
      const { rows } = await this.db.query<{ reference: string }>(
        'SELECT reference FROM bill_payments WHERE id = $1',
        [session.paymentId],
      );
      if (rows[0]?.reference !== outcome.transactionId)
        return this.refuse(session.id, 'session already paid');
      await this.log(session.id, 'replay');
      return { outcome: 'replay', session };
    }
    if (session.status === 'declined') return this.refuse(session.id, 'session already declined');
    if (!outcome.approved) {
      await this.db.query(
        `UPDATE checkout_sessions SET status = 'declined', finished_at = now() WHERE id = $1 AND status = 'pending'`,
        [session.id],
      );
      await this.log(session.id, 'declined');
      return { outcome: 'declined', session: await this.getSession(session.id) };
    }
    // Claim the session first: of two concurrent callbacks, one records the payment.
    const claim = await this.db.query(
      `UPDATE checkout_sessions SET status = 'paid', finished_at = now() WHERE id = $1 AND status = 'pending'`,
      [session.id],
    );
    if (claim.rowCount !== 1) return this.refuse(session.id, 'session already being paid');
    let payment: PaymentView;
    try {
      payment = await recordPayment(this.db, {
        customerId: session.customerId,
        amount: outcome.amount,
        channel: 'card',
        reference: outcome.transactionId,
        targets: session.billNumbers,
        recordedBy: `provider:${this.provider.name}`,
      });
    } catch (err) {
      await this.db.query(
        `UPDATE checkout_sessions SET status = 'pending', finished_at = NULL WHERE id = $1`,
        [session.id],
      );
      throw err;
    }
    await this.db.query('UPDATE checkout_sessions SET payment_id = $2 WHERE id = $1', [
      session.id,
      payment.id,
    ]);
    await this.log(session.id, 'paid');
    return { outcome: 'paid', session: await this.getSession(session.id), payment };
  }

  private async log(sessionId: string, outcome: string): Promise<void> {
    await this.db.query(`INSERT INTO payment_callbacks (provider, session_id, outcome) VALUES ($1, $2, $3)`, [
      this.provider.name,
      sessionId,
      outcome,
    ]);
  }
}
