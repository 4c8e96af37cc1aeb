import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BillSummarySchema, getCustomer, renderBillPdf } from '../../billing/index.js';
import { requestLanguage, type SqlDatabase } from '../../platform/index.js';
import { billsPdf, billsXlsx } from './bill-exports.js';
import { agencyUser } from './guard.js';
import { monthlyTotals, myBills, ownBill, type MyBillsQuery } from './my-bills.js';
import { BillNumber, errorAnswers } from './schemas.js';

const tags = ['agency'];
const session = { public: true, agency: 'session' as const };
const Lang = Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('ar'), Type.Literal('en')]));
const Filters = Type.Object(
  {
    due: Type.Optional(
      Type.String({ pattern: '^\\d{4}(-\\d{2})?$', description: 'due month YYYY-MM or year YYYY' }),
    ),
    contract: Type.Optional(
      Type.String({ pattern: '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$', description: 'contract or meter number' }),
    ),
    customerNumber: Type.Optional(Type.String({ pattern: '^[0-9A-Za-z-]{1,24}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 240, description: 'default 6' })),
    lang: Lang,
  },
  { additionalProperties: false },
);
const Centimes = Type.Integer({ description: 'integer centimes' });
const MyBill = Type.Composite([
  BillSummarySchema,
  Type.Object({ consumption: Type.Integer(), currency: Type.String(), pdf: Type.String() }),
]);
const File = (type: string) => ({ 200: Type.Any({ description: type }), ...errorAnswers });
const TITLES = { fr: 'Mes factures', ar: 'فواتيري', en: 'My bills' };

/** My bills, their PDFs and exports, and the reports (6-month chart data, global statistics). */
export function billRoutes(app: FastifyInstance, d: { db: SqlDatabase; now: () => Date }): void {
  const today = () => d.now().toISOString().slice(0, 10);
  const mine = (req: FastifyRequest, q: MyBillsQuery) =>
    myBills(d.db, agencyUser(req).customerId, q, today());
  const attachment = (reply: FastifyReply, type: string, name: string, body: Buffer) =>
    reply.type(type).header('content-disposition', `attachment; filename="${name}"`).send(body);

  app.get(
    '/api/agency/bills',
    {
      config: session,
      schema: {
        tags,
        summary:
          'My bills, newest first: the last 6 by default; filters due (YYYY-MM), contract, customerNumber',
        querystring: Filters,
        response: { 200: Type.Object({ bills: Type.Array(MyBill) }), ...errorAnswers },
      },
    },
    async (req) => ({ bills: await mine(req, req.query as MyBillsQuery) }),
  );

  app.get(
    '/api/agency/bills/export.xlsx',
    {
      config: session,
      schema: {
        tags,
        summary: 'My bills (same filters) as an Excel workbook',
        querystring: Filters,
        response: File('XLSX'),
      },
    },
    async (req, reply) => {
      const bills = await mine(req, req.query as MyBillsQuery);
      const xlsx = await billsXlsx(bills, requestLanguage(req));
      return attachment(
        reply,
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'factures.xlsx',
        xlsx,
      );
    },
  );

  app.get(
    '/api/agency/bills/export.pdf',
    {
      config: session,
      schema: {
        tags,
        summary: 'My bills (same filters) as a PDF table',
        querystring: Filters,
        response: File('PDF'),
      },
    },
    async (req, reply) => {
      const lang = requestLanguage(req);
      const bills = await mine(req, req.query as MyBillsQuery);
      return attachment(
        reply,
        'application/pdf',
        'factures.pdf',
        await billsPdf(bills, lang, TITLES[lang === 'ar' ? 'fr' : lang]),
      );
    },
  );

  app.get(
    '/api/agency/bills/:number.pdf',
    {
      config: session,
      schema: {
        tags,
        summary: "One of my bills as a PDF (another customer's bill: 404)",
        params: Type.Object({ number: BillNumber }),
        querystring: Type.Object({ lang: Lang }, { additionalProperties: false }),
        response: File('PDF'),
      },
    },
    async (req, reply) => {
      const user = agencyUser(req);
      const bill = await ownBill(d.db, user.customerId, (req.params as { number: string }).number, today());
      const customer = await getCustomer(d.db, user.customerId);
      const pdf = await renderBillPdf(bill, {
        lang: (req.query as { lang?: 'fr' | 'ar' | 'en' }).lang ?? requestLanguage(req),
        customerName: customer.name,
        exampleTariff: bill.tariffId.startsWith('example-'),
      });
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="facture-${bill.number}.pdf"`)
        .send(pdf);
    },
  );

  app.get(
    '/api/agency/reports/monthly',
    {
      config: session,
      schema: {
        tags,
        summary: 'Amounts billed (TTC, centimes) and consumption for each of the last 6 months (the chart)',
        response: {
          200: Type.Object({
            months: Type.Array(
              Type.Object({ month: Type.String(), amountTTC: Centimes, consumption: Type.Integer() }),
            ),
          }),
          ...errorAnswers,
        },
      },
    },
    async (req) => {
      const bills = await mine(req, { limit: 240 });
      const last = bills[0]?.periodFrom.slice(0, 7) ?? today().slice(0, 7);
      return { months: monthlyTotals(bills, last) };
    },
  );

  app.get(
    '/api/agency/reports/statistics.xlsx',
    {
      config: session,
      schema: {
        tags,
        summary: 'My global statistics: every bill and the monthly consumption, as an Excel workbook',
        querystring: Type.Object({ lang: Lang }, { additionalProperties: false }),
        response: File('XLSX'),
      },
    },
    async (req, reply) => {
      const bills = await mine(req, { limit: 240 });
      const months = bills.length
        ? monthlyTotals(bills, bills[0]!.periodFrom.slice(0, 7), 120).filter((m) => m.consumption > 0)
        : [];
      const xlsx = await billsXlsx(bills, requestLanguage(req), months);
      return attachment(
        reply,
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'statistiques.xlsx',
        xlsx,
      );
    },
  );
}
