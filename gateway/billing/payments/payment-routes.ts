import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import '../errors.js';
import type { BillingFeature } from '../billing-feature.js';
import { checkoutPage } from '../checkout/checkout-page.js';
import { BillNumber, BillSummary, Id, errors, ownOnly, summary, who } from '../http-schemas.js';
import { issueCreditNote, refundCredit } from './credit-notes.js';
import { getPayment, PAYMENT_CHANNELS, recordPayment } from './payments.js';
import { statement } from './statement.js';

const Reference = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]*$' });
/** Any JSON number: non-integers and negatives get MG_ERR_BILLING_BAD_AMOUNT, not a schema error. */
const Amount = Type.Number({ description: 'integer centimes > 0' });
const Payment = Type.Object({
  id: Type.String(),
  receiptNumber: Type.String(),
  customerId: Type.String(),
  billNumber: Type.Union([Type.String(), Type.Null()]),
  channel: Type.String(),
  reference: Type.String(),
  amount: Type.Integer(),
  at: Type.String(),
  allocations: Type.Array(
    Type.Object({
      billNumber: Type.Union([Type.String(), Type.Null()]),
      kind: Type.String(),
      amount: Type.Integer(),
    }),
  ),
  credit: Type.Integer({ description: 'part not allocated: credit carried to the next bill' }),
  balance: Type.Integer(),
});
const Entry = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  kind: Type.String(),
  reference: Type.String(),
  billNumber: Type.Union([Type.String(), Type.Null()]),
  dueDate: Type.Union([Type.String(), Type.Null()]),
  amount: Type.Integer(),
  allocated: Type.Integer(),
  runningBalance: Type.Integer(),
});
const Balance = Type.Object({
  customerId: Type.String(),
  balance: Type.Integer({ description: 'sum of the entries: > 0 owed, < 0 credit' }),
  overdue: Type.Integer({ description: 'open debits past their due date' }),
  credit: Type.Integer({ description: 'unallocated credits' }),
  inPlan: Type.Integer({ description: 'instalments of active plans not yet fallen due' }),
  entries: Type.Array(Entry),
});
const Session = Type.Object({
  id: Type.String(),
  provider: Type.String(),
  customerId: Type.String(),
  billNumbers: Type.Array(Type.String()),
  amount: Type.Integer(),
  returnUrl: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  paymentId: Type.Union([Type.String(), Type.Null()]),
});
/** A path on this gateway (no open redirect to another site). */
const ReturnPath = Type.String({ maxLength: 300, pattern: '^/(?![/\\\\])[^\\s]*$' });

/** Payments, credit notes, refunds, balance and online checkout (issue 16 §7, §8). */
export async function paymentRoutes(app: FastifyInstance, billing: BillingFeature): Promise<void> {
  const db = billing.options.db;
  const today = () => (billing.options.clock?.() ?? new Date()).toISOString().slice(0, 10);

  app.post(
    '/api/payments',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary:
          'Record a postpaid payment (agency counter, transfer, wallet, card): allocated oldest due first, the named bill first; the same channel reference again returns the same payment',
        body: Type.Object(
          {
            billNumber: Type.Optional(BillNumber),
            customerId: Type.Optional(Id),
            amount: Amount,
            channel: Type.Union(PAYMENT_CHANNELS.map((c) => Type.Literal(c))),
            reference: Reference,
          },
          { additionalProperties: false },
        ),
        response: { 200: Payment, 201: Payment, ...errors },
      },
    },
    async (req, reply) => {
      const body = req.body as {
        billNumber?: string;
        customerId?: string;
        amount: number;
        channel: (typeof PAYMENT_CHANNELS)[number];
        reference: string;
      };
      const { replay, ...payment } = await recordPayment(db, { ...body, recordedBy: who(req).id });
      return reply.code(replay ? 200 : 201).send(payment);
    },
  );

  app.get(
    '/api/payments/:id',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary: 'A payment and its receipt number and allocations (operators; a customer: their own)',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: Payment, ...errors },
      },
    },
    async (req) => {
      const p = await getPayment(db, (req.params as { id: string }).id);
      ownOnly(who(req), p.customerId);
      return p;
    },
  );

  app.post(
    '/api/bills/:number/credit-notes',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary: 'Issue a credit note correcting a bill (never an edit); the whole amount cancels the bill',
        params: Type.Object({ number: BillNumber }),
        body: Type.Object(
          { amount: Amount, reason: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: { 201: BillSummary, ...errors },
      },
    },
    async (req, reply) => {
      const { amount, reason } = req.body as { amount: number; reason: string };
      const note = await issueCreditNote(db, {
        billNumber: (req.params as { number: string }).number,
        amount,
        reason,
        by: who(req).id,
        today: today(),
      });
      return reply.code(201).send(summary(note));
    },
  );

  app.post(
    '/api/customers/:id/refunds',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary: "Pay back part of a customer's credit (idempotent by reference)",
        params: Type.Object({ id: Id }),
        body: Type.Object({ amount: Amount, reference: Reference }, { additionalProperties: false }),
        response: {
          201: Type.Object({ reference: Type.String(), amount: Type.Integer(), balance: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const { amount, reference } = req.body as { amount: number; reference: string };
      const customerId = (req.params as { id: string }).id;
      return reply.code(201).send(await refundCredit(db, { customerId, amount, reference, by: who(req).id }));
    },
  );

  app.get(
    '/api/customers/:id/balance',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary:
          "A postpaid customer's balance and statement: bills, credit notes, payments, refunds, plans and instalments with the running balance",
        params: Type.Object({ id: Id }),
        response: { 200: Balance, ...errors },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      ownOnly(who(req), id);
      return statement(db, id, today());
    },
  );

  app.post(
    '/api/payments/checkout',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary:
          "Start an online payment of one or several bills: the provider's page URL (a customer: only their own bills)",
        body: Type.Object(
          {
            customerId: Id,
            billNumbers: Type.Array(BillNumber, { minItems: 1, maxItems: 24 }),
            returnUrl: Type.Optional(ReturnPath),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ sessionId: Type.String(), checkoutUrl: Type.String(), amount: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { customerId: string; billNumbers: string[]; returnUrl?: string };
      ownOnly(who(req), body.customerId);
      return reply.code(201).send(await billing.checkout.startCheckout(body));
    },
  );

  app.get(
    '/api/payments/checkout/:id',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary: 'An online payment session and its outcome',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: Session, ...errors },
      },
    },
    async (req) => {
      const s = await billing.checkout.getSession((req.params as { id: string }).id);
      ownOnly(who(req), s.customerId);
      return s;
    },
  );

  app.post(
    '/api/payments/callback/:provider',
    {
      config: { public: true },
      schema: {
        tags: ['billing'],
        summary:
          "The payment provider's signed callback (server to server, HMAC-checked): a bad signature is refused and logged, nothing recorded",
        params: Type.Object({ provider: Type.String({ maxLength: 40 }) }),
        body: Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 200 }), {
          maxProperties: 20,
        }),
        response: {
          200: Type.Object({
            outcome: Type.String(),
            sessionId: Type.String(),
            paymentId: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const r = await billing.checkout.handleCallback(
        (req.params as { provider: string }).provider,
        req.body as Record<string, string>,
      );
      return { outcome: r.outcome, sessionId: r.session.id, paymentId: r.session.paymentId };
    },
  );

  // The simulated provider's hosted page (demo and tests); a real gateway serves its own.
  app.register(async (sim) => {
    sim.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    const SimParams = Type.Object({ id: Type.String({ maxLength: 64, pattern: '^chk-[0-9a-f-]+$' }) });
    sim.get(
      '/pay/sim/:id',
      {
        config: { public: true },
        schema: {
          tags: ['billing'],
          summary: 'Simulated payment provider: its hosted card page (no card data is stored)',
          params: SimParams,
          response: { 200: Type.String({ description: 'text/html' }), ...errors },
        },
      },
      async (req, reply) => {
        const s = await billing.checkout.getSession((req.params as { id: string }).id);
        return reply.type('text/html; charset=utf-8').send(checkoutPage(s));
      },
    );
    sim.post(
      '/pay/sim/:id',
      {
        config: { public: true },
        schema: {
          tags: ['billing'],
          summary: 'Simulated payment provider: the decision on its page, sent back as a signed callback',
          params: SimParams,
          body: Type.Object(
            { decision: Type.Union([Type.Literal('approve'), Type.Literal('decline')]) },
            { additionalProperties: false },
          ),
          response: { 303: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        const s = await billing.checkout.getSession((req.params as { id: string }).id);
        const fields = billing.simulatedProvider.sign({
          sessionId: s.id,
          approved: (req.body as { decision: string }).decision === 'approve',
          amount: s.amount,
          transactionId: `SIM-${s.id.slice(4, 16)}`,
          at: (billing.options.clock?.() ?? new Date()).toISOString(),
        });
        const r = await billing.checkout.handleCallback('simulated', fields);
        const back = s.returnUrl ?? '/';
        const sep = back.includes('?') ? '&' : '?';
        return reply.redirect(
          `${back}${sep}checkout=${encodeURIComponent(s.id)}&status=${r.session.status}`,
          303,
        );
      },
    );
  });
}
