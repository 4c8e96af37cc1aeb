import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import '../errors.js';
import { GatewayError } from '../../platform/index.js';
import type { BillingFeature } from '../billing-feature.js';
import { isDay } from '../money/calendar.js';
import type { BillStatus } from '../bills/bill.js';
import { BillSummary, Day, Id, Reminder, ReminderStep, Run, errors, summary } from '../http-schemas.js';
import { listRuns } from '../run/run-store.js';
import { receivables, searchBills, type BillFilter } from './receivables.js';

const STATUSES = ['issued', 'partially-paid', 'paid', 'overdue', 'in-plan', 'cancelled'] as const;

/** The operators' billing views (issue 16 §11): bills across customers, runs, reminders, receivables. */
export async function operatorRoutes(app: FastifyInstance, billing: BillingFeature): Promise<void> {
  const db = billing.options.db;
  const today = () => (billing.options.clock?.() ?? new Date()).toISOString().slice(0, 10);

  app.get(
    '/api/bills',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary:
          'Bills of every postpaid customer, newest first, filtered by status, kind, customer, period (operators)',
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))),
            kind: Type.Optional(
              Type.Union([
                Type.Literal('periodic'),
                Type.Literal('regularisation'),
                Type.Literal('credit-note'),
              ]),
            ),
            customer: Type.Optional(Id),
            from: Type.Optional(Day),
            to: Type.Optional(Day),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            bills: Type.Array(
              Type.Composite([
                BillSummary,
                Type.Object({ customerId: Type.String(), customerName: Type.String() }),
              ]),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const q = req.query as Omit<BillFilter, 'customerId'> & { customer?: string; status?: BillStatus };
      const { customer, ...rest } = q;
      const bills = await searchBills(
        db,
        { ...rest, ...(customer ? { customerId: customer } : {}) },
        today(),
      );
      return {
        bills: bills.map((b) => ({ ...summary(b), customerId: b.customerId, customerName: b.customerName })),
      };
    },
  );

  app.get(
    '/api/billing/receivables',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary:
          'Collection rate (taux de recouvrement) over 12 months and aged receivables 0–30, 31–60, 61–90, > 90 days (operators)',
        querystring: Type.Object({ asOf: Type.Optional(Day) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            asOf: Type.String(),
            billed: Type.Integer(),
            collected: Type.Integer(),
            collectionRate: Type.Number(),
            aged: Type.Array(
              Type.Object({ bucket: Type.String(), amount: Type.Integer(), count: Type.Integer() }),
            ),
            notDue: Type.Integer(),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const asOf = (req.query as { asOf?: string }).asOf ?? today();
      if (!isDay(asOf)) {
        throw new GatewayError('MG_ERR_BILLING_BAD_PERIOD', { params: { reason: `${asOf} is not a day` } });
      }
      return receivables(db, asOf);
    },
  );

  app.get(
    '/api/billing/runs',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary: 'The latest billing runs with their progress (operators)',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 20 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ runs: Type.Array(Run) }), ...errors },
      },
    },
    async (req) => ({ runs: await listRuns(db, (req.query as { limit?: number }).limit) }),
  );

  app.get(
    '/api/billing/reminders',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary:
          'The reminder schedule and the latest reminders of every customer with their delivery status (operators)',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 200 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ schedule: Type.Array(ReminderStep), reminders: Type.Array(Reminder) }),
          ...errors,
        },
      },
    },
    async (req) => ({
      schedule: [...(billing.reminders?.schedule ?? [])],
      reminders: (await billing.reminders?.list(undefined, (req.query as { limit?: number }).limit)) ?? [],
    }),
  );
}
