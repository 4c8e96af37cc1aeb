import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorAnswerSchema, GatewayError, type Principal } from '../../platform/index.js';
import { customerStatement, grantAdvance } from '../advances/index.js';
import { changeKeys, issueManagementToken, type ManagementAction } from '../management/index.js';
import {
  createCustomer,
  createMeter,
  createPaygDevice,
  CustomerInput,
  getMeter,
  listTariffs,
  meterView,
  MeterInput,
  PaygDeviceInput,
  ProgrammeInput,
  upsertProgramme,
  upsertTariff,
} from '../ledger/registry.js';
import { TariffDefinition } from '../../billing/index.js';
import type { VendingService } from './service.js';
import { operationsRoutes } from '../operations/routes.js';
import { LedgerError } from '../ledger/errors.js';

const ErrorResponse = ErrorAnswerSchema;
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
const RequestId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$', description: 'client idempotency key' });
const Token = Type.Object({
  digits: Type.String(),
  tid: Type.Union([Type.Integer(), Type.Null()]),
  tokenClass: Type.Integer(),
  subclass: Type.Integer(),
  units: Type.Number(),
  section: Type.Optional(Type.Integer()),
});
const IssueResponse = Type.Object({
  vendId: Type.String(),
  requestId: Type.String(),
  kind: Type.String(),
  meterId: Type.String(),
  customerId: Type.String(),
  vendorId: Type.Union([Type.String(), Type.Null()]),
  issuedAt: Type.String(),
  currency: Type.String(),
  receipt: Type.Record(Type.String(), Type.Unknown()),
  tokens: Type.Array(Token),
  token: Type.String(),
  replayed: Type.Optional(Type.Boolean()),
  freeBasic: Type.Optional(
    Type.Object({
      vendId: Type.String(),
      token: Type.String(),
      units: Type.Number(),
      tid: Type.Union([Type.Integer(), Type.Null()]),
    }),
  ),
});
const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  422: ErrorResponse,
};
const Amounts = {
  meterId: Id,
  amount: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'money paid' })),
  units: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'units wanted (kWh / m³)' })),
};

export interface VendingPluginOptions {
  service: VendingService;
}

function principalOf(p: Principal | undefined): Principal {
  if (!p) throw new GatewayError('MG_ERR_AUTH_UNAUTHENTICATED');
  return p;
}

/**
 * HTTP API of prepaid vending (roles per route; the auth plugin denies by default):
 * vend/quote for vendors and operators, advances, statements, management and key change for
 * operators, registry writes for admins. No response schema carries key material.
 */
async function vending(app: FastifyInstance, options: VendingPluginOptions): Promise<void> {
  const { service } = options;
  const db = service.db;
  await operationsRoutes(app, service);

  app.post(
    '/api/vend',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary:
          'sell credit: price the purchase, issue the STS token, record the vend (idempotent on requestId)',
        tags: ['vending'],
        body: Type.Object({ ...Amounts, requestId: RequestId }, { additionalProperties: false }),
        response: { 200: IssueResponse, ...errors },
      },
    },
    async (req) =>
      service.vend(
        principalOf(req.principal),
        req.body as { meterId: string; requestId: string; amount?: number; units?: number },
      ),
  );

  app.post(
    '/api/quote',
    {
      config: { roles: ['vendor', 'operator', 'customer'] },
      schema: {
        summary: 'price a purchase without selling it (receipt preview)',
        tags: ['vending'],
        body: Type.Object(Amounts, { additionalProperties: false }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (req) =>
      service.quote(
        principalOf(req.principal),
        req.body as { meterId: string; amount?: number; units?: number },
      ),
  );

  app.get(
    '/api/vends/:id',
    {
      config: { roles: ['vendor', 'operator', 'customer'] },
      schema: {
        summary: 'one vend with its receipt and tokens (vendors: their own sales)',
        tags: ['vending'],
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: IssueResponse, ...errors },
      },
    },
    async (req) => {
      const p = principalOf(req.principal);
      const { rows } = await db.query<{
        receipt: Record<string, unknown>;
        vendor_id: string | null;
        customer_id: string;
      }>('SELECT receipt, vendor_id, customer_id FROM vends WHERE id = $1', [
        (req.params as { id: string }).id,
      ]);
      const r = rows[0];
      const visible =
        r &&
        (p.role === 'admin' ||
          p.role === 'operator' ||
          (p.role === 'vendor' && r.vendor_id === p.vendorId) ||
          (p.role === 'customer' && r.customer_id === p.customerId));
      if (!visible) throw new LedgerError('MG_ERR_VEND_UNKNOWN');
      return r.receipt;
    },
  );

  app.get(
    '/api/sales',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary: 'sales of a vendor or of everyone (staff), newest first',
        tags: ['vending'],
        querystring: Type.Object({
          vendorId: Type.Optional(Id),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: {
          200: Type.Object({ sales: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const p = principalOf(req.principal);
      const q = req.query as { vendorId?: string; limit: number };
      // A vendor sees only its own sales, whatever it asks for.
      const vendorId = p.role === 'vendor' ? p.vendorId! : (q.vendorId ?? null);
      const { rows } = await db.query(
        `SELECT id AS "vendId", request_id AS "requestId", kind, meter_id AS "meterId", vendor_id AS "vendorId", money, units, created_at AS "at"
           FROM vends WHERE kind IN ('purchase', 'advance') AND ($1::text IS NULL OR vendor_id = $1) ORDER BY created_at DESC, id LIMIT $2`,
        [vendorId, q.limit],
      );
      return { sales: rows };
    },
  );

  app.post(
    '/api/advances',
    {
      config: { roles: ['operator', 'vendor'] },
      schema: {
        summary: 'grant a kWh advance to a social-programme customer (recovered from later purchases)',
        tags: ['advances'],
        body: Type.Object(
          { meterId: Id, requestId: RequestId, units: Type.Number({ exclusiveMinimum: 0 }) },
          { additionalProperties: false },
        ),
        response: { 200: IssueResponse, ...errors },
      },
    },
    async (req) =>
      grantAdvance(
        service,
        principalOf(req.principal),
        req.body as { meterId: string; requestId: string; units: number },
      ),
  );

  app.get(
    '/api/customers/:id/statement',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'a customer’s statement: purchases, advances, recoveries and debt',
        tags: ['advances'],
        params: Type.Object({ id: Id }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (req) => customerStatement(db, principalOf(req.principal), (req.params as { id: string }).id),
  );

  app.post(
    '/api/management/tokens',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'issue a class 2 management token (clear credit, clear tamper, set maximum power)',
        tags: ['management'],
        body: Type.Object(
          {
            meterId: Id,
            requestId: RequestId,
            action: Type.Union([
              Type.Literal('clear-credit'),
              Type.Literal('clear-tamper'),
              Type.Literal('set-max-power'),
            ]),
            // set-max-power: watts 0..18201624 (exactly encodable); clear-credit: register 0..65535.
            value: Type.Optional(Type.Integer({ minimum: 0, maximum: 18_201_624 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: IssueResponse, ...errors },
      },
    },
    async (req) =>
      issueManagementToken(
        service,
        principalOf(req.principal),
        req.body as { meterId: string; requestId: string; action: ManagementAction; value?: number },
      ),
  );

  app.post(
    '/api/management/key-change',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'issue key change tokens for meters (new KRN, optional base date rollover)',
        tags: ['management'],
        body: Type.Object(
          {
            requestId: RequestId,
            meterIds: Type.Array(Id, { minItems: 1, maxItems: 1000 }),
            krn: Type.Optional(Type.Integer({ minimum: 1, maximum: 9 })),
            ken: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
            rollover: Type.Optional(Type.Boolean()),
            keyRef: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            results: Type.Array(
              Type.Object({
                meterId: Type.String(),
                ok: Type.Boolean(),
                result: Type.Optional(IssueResponse),
                error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (req) => ({
      results: await changeKeys(
        service,
        principalOf(req.principal),
        req.body as Parameters<typeof changeKeys>[2],
      ),
    }),
  );

  // Registry (admin only: no `roles` means admin). Vending keys go in, never out.
  app.post(
    '/api/customers',
    {
      schema: {
        summary: 'register a customer',
        tags: ['registry'],
        body: CustomerInput,
        response: { 201: CustomerInput, ...errors },
      },
    },
    async (req, reply) => {
      const c = await createCustomer(db, req.body);
      await db.query('INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)', [
        req.principal!.id,
        'customer.create',
        c.id,
        '{}',
      ]);
      return reply.code(201).send(c);
    },
  );
  app.post(
    '/api/programmes',
    {
      schema: {
        summary: 'create or update a social programme (advance and recovery policy)',
        tags: ['registry'],
        body: ProgrammeInput,
        response: { 200: ProgrammeInput, ...errors },
      },
    },
    async (req) => upsertProgramme(db, req.body),
  );
  /** A registered meter or device: audited, answered 201 (no key material in either). */
  const meterCreated = async (
    req: FastifyRequest,
    reply: FastifyReply,
    m: Record<string, unknown>,
    scheme: 'sts' | 'openpaygo',
  ): Promise<FastifyReply> => {
    await db.query('INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)', [
      req.principal!.id,
      'meter.create',
      String(m.id),
      JSON.stringify({ scheme }),
    ]);
    return reply.code(201).send(m);
  };
  app.post(
    '/api/meters',
    {
      schema: {
        summary: 'register a prepaid meter with its vending key (never returned)',
        tags: ['registry'],
        body: MeterInput,
        response: { 201: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (req, reply) => meterCreated(req, reply, await createMeter(db, service.vault, req.body), 'sts'),
  );
  app.post(
    '/api/payg-devices',
    {
      schema: {
        summary:
          'register an OpenPAYGO pay-as-you-go device (token scheme openpaygo; its secret key is never returned)',
        tags: ['registry'],
        body: PaygDeviceInput,
        response: { 201: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (req, reply) =>
      meterCreated(req, reply, await createPaygDevice(db, service.vault, req.body), 'openpaygo'),
  );
  app.get(
    '/api/ledger/meters/:id',
    {
      config: { roles: ['operator', 'customer', 'vendor'] },
      schema: {
        summary: 'one prepaid meter of the ledger (no key material)',
        tags: ['registry'],
        params: Type.Object({ id: Id }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const m = await getMeter(db, id);
      if (!m || !(await app.canSeeMeter(req.principal, id)))
        throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: id } });
      return meterView(m);
    },
  );
  app.get(
    '/api/tariffs',
    {
      config: { roles: ['operator', 'vendor', 'customer'] },
      schema: {
        summary: 'the tariffs',
        tags: ['registry'],
        response: { 200: Type.Object({ tariffs: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async () => ({ tariffs: await listTariffs(db) }),
  );
  app.put(
    '/api/tariffs/:id',
    {
      schema: {
        summary: 'create or replace a tariff',
        tags: ['registry'],
        params: Type.Object({ id: Id }),
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            supply: Type.Union([Type.Literal('electricity'), Type.Literal('water'), Type.Literal('gas')]),
            currency: Type.String({ pattern: '^[A-Z]{3}$' }),
            definition: TariffDefinition,
            example: Type.Boolean({ default: false }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errors },
      },
    },
    async (req) => {
      const body = req.body as Parameters<typeof upsertTariff>[1];
      return upsertTariff(db, { ...body, id: (req.params as { id: string }).id });
    },
  );
}

/** Register after `authPlugin`. Non-encapsulated so the lead can mount it under any prefix-less app. */
export const vendingPlugin = fp(vending, {
  name: 'metergate-vending',
  fastify: '5.x',
  dependencies: ['metergate-auth'],
});
