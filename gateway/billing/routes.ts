import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import './errors.js';
import { GatewayError } from '../platform/index.js';
import {
  BillNumber,
  BillSummary,
  Centimes,
  Day,
  errors,
  Id,
  Lang,
  ownOnly,
  Reminder,
  ReminderStep,
  Run,
  summary,
  who,
} from './http-schemas.js';
import { getCustomer, listCustomers } from './accounts/customer-views.js';
import { getBill, listBills } from './bills/bill-store.js';
import type { Bill } from './bills/bill.js';
import type { BillingFeature } from './billing-feature.js';
import { verifyBillLink } from './delivery/bill-links.js';
import { renderBillPdf } from './pdf/bill-pdf.js';
import { operatorRoutes } from './operations/operator-routes.js';
import { paymentRoutes } from './payments/payment-routes.js';
import { planRoutes } from './plans/plan-routes.js';
import { loadRun } from './run/run-store.js';

export interface BillingPluginOptions {
  billing: BillingFeature;
}

const Contract = Type.Object({ number: Type.String(), service: Type.String(), meter: Type.String() });
const CustomerSummary = Type.Object({
  id: Type.String(),
  customerNumber: Type.Union([Type.String(), Type.Null()]),
  name: Type.String(),
  kind: Type.Union([Type.Literal('prepaid'), Type.Literal('postpaid')]),
  contracts: Type.Array(Contract),
});
const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);
const CustomerDetail = Type.Composite([
  CustomerSummary,
  Type.Object({
    mobile: Nullable(Type.String()),
    email: Nullable(Type.String()),
    cin: Nullable(Type.String()),
    birthDate: Nullable(Type.String()),
    language: Type.Union([Type.Literal('fr'), Type.Literal('ar'), Type.Literal('en')]),
    civility: Nullable(Type.String()),
    firstName: Nullable(Type.String()),
    lastName: Nullable(Type.String()),
    landline: Nullable(Type.String()),
  }),
]);
const Line = Type.Object(
  {
    kind: Type.String(),
    code: Type.String(),
    label: Type.Object({ fr: Type.String(), ar: Type.String(), en: Type.String() }),
    month: Type.String(),
    quantity: Type.Number(),
    unitPriceP4: Type.Integer({ description: 'unit price excl. tax in 1/10 000 of the currency' }),
    ht: Centimes,
    tax: Centimes,
    ttc: Centimes,
  },
  { additionalProperties: true },
);
const BillDetail = Type.Composite([
  BillSummary,
  Type.Object({
    customerId: Type.String(),
    service: Type.String(),
    periodKey: Type.String(),
    issuedOn: Type.String(),
    previousIndex: Type.Integer(),
    previousQuality: Type.String(),
    newIndex: Type.Integer(),
    newQuality: Type.String(),
    consumption: Type.Integer(),
    tariffId: Type.String(),
    currency: Type.String(),
    lines: Type.Array(Line),
    months: Type.Array(
      Type.Object({ month: Type.String(), consumption: Type.Integer() }, { additionalProperties: true }),
    ),
    previousBalance: Centimes,
    instalmentsDue: Centimes,
    corrects: Type.Optional(Type.String()),
    links: Type.Object({ pdf: Type.String() }),
  }),
]);

/**
 * HTTP API of postpaid billing. Roles per route (the auth plugin denies by default, admin always
 * passes): customers list for operators; a customer, their bills and PDFs for operators and the
 * customer themself; billing runs for operators. `/b/:token` is the public short link of SMS bills
 * (HMAC-signed per bill).
 */
export async function billingPlugin(app: FastifyInstance, options: BillingPluginOptions): Promise<void> {
  const { billing } = options;
  const db = billing.options.db;
  const today = () => (billing.options.clock?.() ?? new Date()).toISOString().slice(0, 10);

  const sendPdf = async (bill: Bill, lang: 'fr' | 'ar' | 'en' | undefined, reply: FastifyReply) => {
    const customer = await getCustomer(db, bill.customerId);
    const pdf = await renderBillPdf(bill, {
      lang: lang ?? customer.language,
      customerName: customer.name,
      issuer: billing.options.issuer,
      exampleTariff: bill.tariffId.startsWith('example-'),
    });
    return reply
      .type('application/pdf')
      .header('content-disposition', `inline; filename="facture-${bill.number}.pdf"`)
      .send(pdf);
  };

  app.get(
    '/api/customers',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary: 'Customers, prepaid or postpaid, with their contracts (operators)',
        querystring: Type.Object(
          {
            kind: Type.Optional(Type.Union([Type.Literal('prepaid'), Type.Literal('postpaid')])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 500 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ customers: Type.Array(CustomerSummary) }), ...errors },
      },
    },
    async (req) => ({ customers: await listCustomers(db, req.query as { kind?: 'prepaid' | 'postpaid' }) }),
  );

  app.get(
    '/api/customers/:id',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary: 'A customer with contact details and contracts (operators; a customer: only themself)',
        params: Type.Object({ id: Id }),
        response: { 200: CustomerDetail, ...errors },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      ownOnly(who(req), id);
      return getCustomer(db, id);
    },
  );

  app.get(
    '/api/customers/:id/bills',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary: "A customer's bills, newest first; amounts in integer centimes",
        params: Type.Object({ id: Id }),
        querystring: Type.Object(
          {
            from: Type.Optional(Day),
            to: Type.Optional(Day),
            contract: Type.Optional(Type.String({ maxLength: 24 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ bills: Type.Array(BillSummary) }), ...errors },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      ownOnly(who(req), id);
      await getCustomer(db, id); // 404 for an unknown customer
      const q = req.query as { from?: string; to?: string; contract?: string };
      if (q.contract) {
        const own = await db.query('SELECT 1 FROM contracts WHERE number = $1 AND customer_id = $2', [
          q.contract,
          id,
        ]);
        if (!own.rows[0])
          throw new GatewayError('MG_ERR_BILLING_UNKNOWN_CONTRACT', { params: { number: q.contract } });
      }
      if (q.from && q.to && q.to < q.from) {
        throw new GatewayError('MG_ERR_BILLING_BAD_PERIOD', {
          params: { reason: `${q.to} is before ${q.from}` },
        });
      }
      return { bills: (await listBills(db, { customerId: id, ...q }, today())).map(summary) };
    },
  );

  app.get(
    '/api/bills/:number',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary: 'One bill with its indexes, lines (HT / VAT / TTC), months and amount to pay',
        params: Type.Object({ number: BillNumber }),
        response: { 200: BillDetail, ...errors },
      },
    },
    async (req) => {
      const bill = await getBill(db, (req.params as { number: string }).number, today());
      ownOnly(who(req), bill.customerId);
      return { ...bill, ...summary(bill), links: { pdf: `/api/bills/${bill.number}.pdf` } };
    },
  );

  app.get(
    '/api/bills/:number.pdf',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary: "The bill as a PDF, in the customer's language or ?lang=fr|ar|en",
        params: Type.Object({ number: BillNumber }),
        querystring: Type.Object({ lang: Lang }, { additionalProperties: false }),
        response: { 200: Type.Any({ description: 'application/pdf' }), ...errors },
      },
    },
    async (req, reply) => {
      const bill = await getBill(db, (req.params as { number: string }).number, today());
      ownOnly(who(req), bill.customerId);
      return sendPdf(bill, (req.query as { lang?: 'fr' | 'ar' | 'en' }).lang, reply);
    },
  );

  app.get(
    '/b/:token',
    {
      config: { public: true },
      schema: {
        tags: ['billing'],
        summary: 'Short signed link to one bill PDF (sent by SMS); public, HMAC-checked',
        params: Type.Object({ token: Type.String({ maxLength: 40 }) }),
        response: { 200: Type.Any({ description: 'application/pdf' }), ...errors },
      },
    },
    async (req, reply) => {
      const number = verifyBillLink(billing.linkSecret, (req.params as { token: string }).token);
      if (!number) throw new GatewayError('MG_ERR_BILLING_BAD_LINK');
      return sendPdf(await getBill(db, number, today()), undefined, reply);
    },
  );

  app.post(
    '/api/billing/runs',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary: 'Start a billing run closing every contract period that ends in this month (operators)',
        body: Type.Object(
          { period: Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'YYYY-MM' }) },
          { additionalProperties: false },
        ),
        response: { 202: Run, ...errors },
      },
    },
    async (req, reply) => {
      const run = await billing.startRun((req.body as { period: string }).period, who(req).id);
      return reply.code(202).send(run);
    },
  );

  app.get(
    '/api/billing/runs/:id',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary: "A billing run's progress (operators)",
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: Run, ...errors },
      },
    },
    async (req) => {
      const { cursor: _c, ...run } = await loadRun(db, (req.params as { id: string }).id);
      return run;
    },
  );

  await paymentRoutes(app, billing);
  await planRoutes(app, billing);
  await operatorRoutes(app, billing);

  app.get(
    '/api/customers/:id/reminders',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary:
          "The reminder schedule and the reminders sent for a customer's unpaid bills, with their delivery status",
        params: Type.Object({ id: Id }),
        response: {
          200: Type.Object({
            schedule: Type.Array(ReminderStep),
            reminders: Type.Array(Reminder),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      ownOnly(who(req), id);
      await getCustomer(db, id);
      return {
        schedule: [...(billing.reminders?.schedule ?? [])],
        reminders: (await billing.reminders?.list(id)) ?? [],
      };
    },
  );
}
