import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * An online payment provider (issue 16 §7): a hosted payment page the customer's browser is sent to,
 * and a signed server-to-server callback with the outcome. Shaped after card gateways such as the
 * Moroccan interbank CMI gateway (form fields posted to its page, a callback carrying the order id,
 * the amount, the gateway's transaction id and a hash of the fields under the store key). Card data
 * never reaches metergate: only the outcome and the provider's transaction id.
 */
export interface CheckoutRequest {
  sessionId: string;
  /** Integer centimes. */
  amount: number;
  currency: string;
  description: string;
  /** Where the provider posts the signed outcome (server to server). */
  callbackUrl: string;
  /** Where the customer's browser returns. */
  returnUrl: string;
}

export interface CallbackOutcome {
  sessionId: string;
  approved: boolean;
  amount: number;
  /** The provider's transaction id: the payment's reference (idempotency key). */
  transactionId: string;
  /** When the provider signed it (ISO 8601). */
  at: string;
}

export interface PaymentProvider {
  readonly name: string;
  /** The provider's payment page for this session (a URL the browser opens). */
  checkoutUrl(request: CheckoutRequest): string;
  /** Checks a callback's signature and reads it; a string is the reason it was refused. */
  verifyCallback(fields: Record<string, unknown>): CallbackOutcome | string;
}

const FIELDS = ['sessionId', 'outcome', 'amount', 'transactionId', 'at'] as const;

/** HMAC-SHA256 over the fields in a fixed order, `|`-separated: what both sides compute. */
export function signFields(secret: string, fields: Record<string, string>): string {
  const text = FIELDS.map((k) => (fields[k] ?? '').replace(/[|\\]/g, '\\$&')).join('|');
  return createHmac('sha256', secret).update(text).digest('hex');
}

/**
 * The built-in simulated provider (demo and tests): its "hosted page" is served by the gateway at
 * `/pay/sim/:sessionId`; approving there produces a callback signed with the shared secret, exactly
 * what a real gateway would post.
 */
export class SimulatedProvider implements PaymentProvider {
  readonly name = 'simulated';
  constructor(
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {}

  checkoutUrl(request: CheckoutRequest): string {
    return `${this.publicUrl.replace(/\/$/, '')}/pay/sim/${encodeURIComponent(request.sessionId)}`;
  }

  /** The provider side: the signed callback fields for a decision on its page. */
  sign(outcome: { sessionId: string; approved: boolean; amount: number; transactionId: string; at: string }) {
    const fields: Record<string, string> = {
      sessionId: outcome.sessionId,
      outcome: outcome.approved ? 'approved' : 'declined',
      amount: String(outcome.amount),
      transactionId: outcome.transactionId,
      at: outcome.at,
    };
    return { ...fields, signature: signFields(this.secret, fields) };
  }

  verifyCallback(fields: Record<string, unknown>): CallbackOutcome | string {
    const f: Record<string, string> = {};
    for (const k of [...FIELDS, 'signature'] as const) {
      const v = fields[k];
      if (typeof v !== 'string' || !v || v.length > 200) return `field ${k} missing`;
      f[k] = v;
    }
    const expected = Buffer.from(signFields(this.secret, f), 'hex');
    const given = Buffer.from(/^[0-9a-f]{64}$/.test(f.signature!) ? f.signature! : '', 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad signature';
    const amount = Number(f.amount);
    if (!Number.isSafeInteger(amount) || amount <= 0) return 'bad amount';
    if (f.outcome !== 'approved' && f.outcome !== 'declined') return 'bad outcome';
    return {
      sessionId: f.sessionId!,
      approved: f.outcome === 'approved',
      amount,
      transactionId: f.transactionId!,
      at: f.at!,
    };
  }
}
