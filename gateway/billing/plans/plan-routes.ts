import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { BillingFeature } from '../billing-feature.js';
import { BillNumber, Id, errors, ownOnly, who } from '../http-schemas.js';
import { decidePlan, getPlan, listPlans, requestPlan, settlePlanEarly, type PlanStatus } from './plans.js';

const Plan = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  billNumber: Type.String(),
  kind: Type.Union([Type.Literal('instalments'), Type.Literal('deferral')]),
  months: Type.Union([Type.Integer(), Type.Null()]),
  deferredUntil: Type.Union([Type.String(), Type.Null()]),
  origin: Type.String(),
  status: Type.Union(['requested', 'active', 'refused', 'completed'].map((s) => Type.Literal(s))),
  amount: Type.Integer({ description: 'centimes spread or deferred' }),
  requestedBy: Type.String(),
  decidedBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  settledEarly: Type.Boolean(),
  instalments: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      amount: Type.Integer(),
      dueMonth: Type.String(),
      posted: Type.Boolean(),
    }),
  ),
});
const PlanId = Type.Object({ id: Type.String({ maxLength: 80, pattern: '^plan-[A-Za-z0-9-]+$' }) });

/** Instalment plans and deferrals (issue 16 §6). */
export async function planRoutes(app: FastifyInstance, billing: BillingFeature): Promise<void> {
  const db = billing.options.db;
  const today = () => (billing.options.clock?.() ?? new Date()).toISOString().slice(0, 10);

  app.get(
    '/api/customers/:id/instalment-plans',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary: "A customer's instalment plans and deferrals with their instalments",
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ plans: Type.Array(Plan) }), ...errors },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      ownOnly(who(req), id);
      return { plans: await listPlans(db, { customerId: id }) };
    },
  );

  app.post(
    '/api/customers/:id/instalment-plans',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary:
          'Request other terms for a bill (2–12 months) or a deferral (deferUntil YYYY-MM); a customer request waits for an operator, an operator request is in force at once',
        params: Type.Object({ id: Id }),
        body: Type.Object(
          {
            billNumber: BillNumber,
            kind: Type.Optional(Type.Union([Type.Literal('instalments'), Type.Literal('deferral')])),
            months: Type.Optional(Type.Integer({ description: '2 to 12' })),
            deferUntil: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}$' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Plan, ...errors },
      },
    },
    async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const p = who(req);
      ownOnly(p, id);
      const body = req.body as {
        billNumber: string;
        kind?: 'instalments' | 'deferral';
        months?: number;
        deferUntil?: string;
      };
      const plan = await requestPlan(db, {
        ...body,
        customerId: id,
        by: p.id,
        origin: p.role === 'customer' ? 'customer' : 'operator',
        today: today(),
      });
      return reply.code(201).send(plan);
    },
  );

  app.get(
    '/api/instalment-plans',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary: 'Instalment plans by status, e.g. the requests waiting for a decision (operators)',
        querystring: Type.Object(
          {
            status: Type.Optional(
              Type.Union(['requested', 'active', 'refused', 'completed'].map((s) => Type.Literal(s))),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ plans: Type.Array(Plan) }), ...errors },
      },
    },
    async (req) => ({
      plans: await listPlans(db, { status: (req.query as { status?: PlanStatus }).status }),
    }),
  );

  app.post(
    '/api/instalment-plans/:id/decision',
    {
      config: { roles: ['operator'] },
      schema: {
        tags: ['billing'],
        summary: 'Approve or refuse a requested plan or deferral (operators)',
        params: PlanId,
        body: Type.Object(
          { decision: Type.Union([Type.Literal('approve'), Type.Literal('refuse')]) },
          { additionalProperties: false },
        ),
        response: { 200: Plan, ...errors },
      },
    },
    async (req) =>
      decidePlan(
        db,
        (req.params as { id: string }).id,
        (req.body as { decision: 'approve' | 'refuse' }).decision,
        who(req).id,
        today(),
      ),
  );

  app.post(
    '/api/instalment-plans/:id/settle',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['billing'],
        summary: 'Early settlement: every remaining instalment falls due now',
        params: PlanId,
        response: { 200: Plan, ...errors },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      ownOnly(who(req), (await getPlan(db, id)).customerId);
      return settlePlanEarly(db, id, who(req).id, today());
    },
  );
}
