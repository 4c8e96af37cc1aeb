import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  formatCentimes,
  type CheckoutSession,
  type CheckoutStarted,
  type StartCheckoutInput,
} from '../../billing/index.js';
import { GatewayError, type SqlDatabase } from '../../platform/index.js';
import type { SendMessage } from './accounts.js';
import { agencyUser } from './guard.js';
import { myBill, ownBill } from './my-bills.js';
import { BillNumber, errorAnswers } from './schemas.js';

/** Billing's online payment (the provider's checkout), handed over by the composition root. */
export interface AgencyPayments {
  start(input: StartCheckoutInput): Promise<CheckoutStarted>;
  session(id: string): Promise<CheckoutSession>;
}

export const RECEIPT_PATH = '/ui/agency/#/receipt';
const RECEIPT = {
  fr: {
    subject: 'Reçu de paiement',
    text: 'Paiement reçu : {amount} MAD pour les factures {bills} (réf. {ref}). Merci.',
  },
  ar: {
    subject: 'وصل الأداء',
    text: 'تم استلام الأداء: {amount} درهم للفواتير {bills} (المرجع {ref}). شكرا.',
  },
  en: {
    subject: 'Payment receipt',
    text: 'Payment received: {amount} MAD for bills {bills} (ref. {ref}). Thank you.',
  },
};

/** Pay one or several of my bills online, and the receipt (page data and an e-mail, sent once). */
export function paymentRoutes(
  app: FastifyInstance,
  d: { db: SqlDatabase; payments: AgencyPayments; send: SendMessage; now: () => Date },
): void {
  const today = () => d.now().toISOString().slice(0, 10);
  const session = { public: true, agency: 'session' as const };
  const tags = ['agency'];

  app.post(
    '/api/agency/payments',
    {
      config: session,
      schema: {
        tags,
        summary: "Pay one or several of my bills online: the payment provider's page to go to",
        body: Type.Object(
          { bills: Type.Array(BillNumber, { minItems: 1, maxItems: 24, uniqueItems: true }) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ sessionId: Type.String(), checkoutUrl: Type.String(), amount: Type.Integer() }),
          ...errorAnswers,
        },
      },
    },
    async (req, reply) => {
      const user = agencyUser(req);
      const { bills } = req.body as { bills: string[] };
      for (const n of bills) await ownBill(d.db, user.customerId, n, today());
      const started = await d.payments.start({
        customerId: user.customerId,
        billNumbers: bills,
        returnUrl: RECEIPT_PATH,
      });
      return reply.code(201).send(started);
    },
  );

  app.get(
    '/api/agency/payments/:sessionId',
    {
      config: session,
      schema: {
        tags,
        summary:
          'The receipt of one of my online payments: its status and the bills paid (a receipt e-mail goes out once)',
        params: Type.Object({ sessionId: Type.String({ pattern: '^chk-[0-9a-f-]{36}$' }) }),
        response: {
          200: Type.Object({
            sessionId: Type.String(),
            status: Type.String(),
            amount: Type.Integer(),
            paymentId: Type.Union([Type.String(), Type.Null()]),
            bills: Type.Array(
              Type.Object({ number: Type.String(), status: Type.String(), amountDue: Type.Integer() }),
            ),
          }),
          ...errorAnswers,
        },
      },
    },
    async (req) => {
      const user = agencyUser(req);
      const id = (req.params as { sessionId: string }).sessionId;
      let s: CheckoutSession;
      try {
        s = await d.payments.session(id);
      } catch (err) {
        if (err instanceof GatewayError && err.statusCode === 404)
          throw new GatewayError('MG_ERR_AGENCY_NOT_FOUND', { params: { what: id } });
        throw err;
      }
      if (s.customerId !== user.customerId)
        throw new GatewayError('MG_ERR_AGENCY_NOT_FOUND', { params: { what: id } });
      const bills = [];
      for (const n of s.billNumbers) {
        const b = myBill(await ownBill(d.db, user.customerId, n, today()));
        bills.push({ number: b.number, status: b.status, amountDue: b.amountDue });
      }
      if (s.status === 'paid' && user.email) {
        const t = RECEIPT[user.language];
        const fill = (x: string) =>
          x
            .replace('{amount}', formatCentimes(s.amount, user.language))
            .replace('{bills}', s.billNumbers.join(', '))
            .replace('{ref}', s.paymentId ?? s.id);
        await d.send({
          channel: 'email',
          to: user.email,
          customerId: user.customerId,
          template: 'agency_receipt',
          language: user.language,
          subject: t.subject,
          text: fill(t.text),
          dedupeKey: `agency-receipt:${s.id}`,
        });
      }
      return { sessionId: s.id, status: s.status, amount: s.amount, paymentId: s.paymentId, bills };
    },
  );
}
