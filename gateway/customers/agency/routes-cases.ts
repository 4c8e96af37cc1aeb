import multipart from '@fastify/multipart';
import { Type, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { getCustomer, requestPlan } from '../../billing/index.js';
import { GatewayError, type SqlDatabase } from '../../platform/index.js';
import {
  checkAttachment,
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENT_MB,
  MAX_ATTACHMENTS,
  type CheckedAttachment,
} from './attachments.js';
import {
  CLAIM_CATEGORIES,
  REQUEST_CATEGORIES,
  STATUSES,
  type CaseDesk,
  type CaseKind,
  type CaseStatus,
  type NewCase,
} from './cases.js';
import { agencyUser } from './guard.js';
import { ownBill } from './my-bills.js';
import { TrackingNumber, errorAnswers } from './schemas.js';

const tags = ['agency'];
const session = { public: true, agency: 'session' as const };
const literals = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });

const ClaimBody = Type.Object(
  {
    category: literals(Object.keys(CLAIM_CATEGORIES)),
    subject: Text(200),
    message: Text(5000),
    bill: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{6,}$' })),
    meter: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })),
    token: Type.Optional(Type.String({ pattern: '^[0-9 -]{20,29}$', description: 'the 20-digit STS token' })),
  },
  { additionalProperties: false },
);
const RequestBody = Type.Object(
  {
    category: literals(Object.keys(REQUEST_CATEGORIES)),
    subject: Text(200),
    message: Text(5000),
    meter: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })),
    bill: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{6,}$' })),
    details: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,31}$' }),
        // Checked in the handler (a string of at most 500 characters, a finite number or a boolean):
        // a union here would let Ajv's coercion turn 3 into "3".
        Type.Unknown(),
        {
          maxProperties: 20,
          description:
            'string (≤ 500), number or boolean values: e.g. address, instalments, deferUntil, newMobile. A connection request needs address and may give its position, lat and lon (numbers, WGS 84, both or neither); it opens an installation work order',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
const Summary = Type.Object({
  trackingNumber: Type.String(),
  kind: Type.String(),
  category: Type.String(),
  subject: Type.String(),
  status: Type.String(),
  targetDate: Type.String(),
  overdue: Type.Boolean(),
  customerId: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const Detail = Type.Composite([
  Summary,
  Type.Object({
    message: Type.String(),
    bill: Type.Union([Type.String(), Type.Null()]),
    meter: Type.Union([Type.String(), Type.Null()]),
    token: Type.Union([Type.String(), Type.Null()]),
    details: Type.Record(Type.String(), Type.Unknown()),
    history: Type.Array(
      Type.Object({
        status: Type.String(),
        at: Type.String(),
        actor: Type.String(),
        note: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    messages: Type.Array(Type.Object({ author: Type.String(), text: Type.String(), at: Type.String() })),
    attachments: Type.Array(
      Type.Object({
        id: Type.String(),
        filename: Type.String(),
        contentType: Type.String(),
        size: Type.Integer(),
        url: Type.String(),
      }),
    ),
  }),
]);
const Filed = Type.Object({
  trackingNumber: Type.String(),
  status: Type.String(),
  targetDate: Type.String(),
});
const TnParams = Type.Object({ trackingNumber: TrackingNumber });
const FileParams = Type.Object({ trackingNumber: TrackingNumber, id: Type.String({ format: 'uuid' }) });
const MessageBody = Type.Object({ text: Text(5000) }, { additionalProperties: false });
const AnyMultipart = Type.Any({
  description: 'multipart/form-data: the same fields, plus files (PDF, PNG, JPEG)',
});

/** JSON or multipart (fields + files): the validated fields and the checked files, all in memory. */
async function readCase(
  req: FastifyRequest,
  schema: TSchema,
): Promise<{ fields: unknown; files: CheckedAttachment[] }> {
  if (!req.isMultipart()) return { fields: req.body, files: [] };
  const fields: Record<string, unknown> = {};
  const files: CheckedAttachment[] = [];
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (files.length >= MAX_ATTACHMENTS)
          throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', {
            params: { reason: `at most ${MAX_ATTACHMENTS} files` },
          });
        files.push(checkAttachment(part.filename, await part.toBuffer()));
      } else if (part.fieldname === 'details' && typeof part.value === 'string') {
        fields.details = parseJson(part.value);
      } else {
        fields[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
      throw new GatewayError('MG_ERR_AGENCY_ATTACHMENT_TOO_LARGE', { params: { max: MAX_ATTACHMENT_MB } });
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: 'multipart' } });
  }
  const first = Value.Errors(schema, fields).First();
  if (first)
    throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: `${first.path || '/'}` } });
  return { fields, files };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: '/details' } });
  }
}

/** Only files, for the attachments sub-route. */
async function readFiles(req: FastifyRequest): Promise<CheckedAttachment[]> {
  if (!req.isMultipart())
    throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: 'multipart/form-data expected' } });
  const { files } = await readCase(req, Type.Object({}));
  if (!files.length) throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: 'no file' } });
  return files;
}

export function sendAttachment(
  reply: FastifyReply,
  f: { filename: string; contentType: string; content: Buffer },
) {
  return reply
    .type(f.contentType)
    .header('content-disposition', `attachment; filename="${f.filename}"`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(f.content);
}

/** Claims and requests for the signed-in customer, and the operators' queue. */
export async function caseRoutes(
  app: FastifyInstance,
  d: { db: SqlDatabase; cases: CaseDesk; now: () => Date },
): Promise<void> {
  await app.register(multipart, {
    limits: {
      fileSize: MAX_ATTACHMENT_BYTES,
      files: MAX_ATTACHMENTS + 1,
      fields: 30,
      fieldSize: 20_000,
      parts: 40,
    },
  });
  const today = () => d.now().toISOString().slice(0, 10);

  /** The linked bill and meter must be the customer's own. */
  async function checkLinks(customerId: string, c: { bill?: string; meter?: string }): Promise<void> {
    if (c.bill) await ownBill(d.db, customerId, c.bill, today());
    if (c.meter) {
      const customer = await getCustomer(d.db, customerId);
      if (!customer.contracts.some((k) => k.meter === c.meter || k.number === c.meter))
        throw new GatewayError('MG_ERR_AGENCY_NOT_FOUND', { params: { what: c.meter } });
    }
  }

  /**
   * Payment facilities go to billing's plans: instalments (details.instalments, 2–12 months) or a
   * deferral (details.deferUntil, YYYY-MM) on the linked bill, requested for the operator's decision.
   */
  async function paymentFacilities(
    customerId: string,
    username: string,
    c: Omit<NewCase, 'kind'>,
  ): Promise<Record<string, string>> {
    if (!c.bill) throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: '/bill' } });
    const deferUntil = typeof c.details?.deferUntil === 'string' ? c.details.deferUntil : undefined;
    const months = Number(c.details?.instalments ?? 3);
    const plan = await requestPlan(d.db, {
      customerId,
      billNumber: c.bill,
      ...(deferUntil ? { kind: 'deferral' as const, deferUntil } : { kind: 'instalments' as const, months }),
      by: `agency:${username}`,
      origin: 'customer',
      today: today(),
    });
    return { planId: plan.id, planStatus: plan.status };
  }

  for (const [kind, path, body] of [
    ['claim', 'claims', ClaimBody],
    ['request', 'requests', RequestBody],
  ] as const) {
    const what =
      kind === 'claim'
        ? 'a claim (réclamation)'
        : 'a request (connection, subscription, termination, tariff, contact, payment facilities, information)';
    app.post(
      `/api/agency/${path}`,
      {
        config: session,
        schema: {
          tags,
          summary: `File ${what}: JSON, or multipart/form-data with the same fields and up to ${MAX_ATTACHMENTS} files (PDF, PNG, JPEG, ${MAX_ATTACHMENT_MB} MB each)`,
          body: {
            content: {
              'application/json': { schema: body },
              'multipart/form-data': { schema: AnyMultipart },
            },
          },
          response: { 201: Filed, ...errorAnswers },
        },
      },
      async (req, reply) => {
        const user = agencyUser(req);
        const { fields, files } = await readCase(req, body);
        const c = fields as Omit<NewCase, 'kind'>;
        for (const [k, v] of Object.entries(c.details ?? {})) {
          const ok =
            (typeof v === 'string' && v.length <= 500) ||
            (typeof v === 'number' && Number.isFinite(v)) ||
            typeof v === 'boolean';
          if (!ok) throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: `/details/${k}` } });
        }
        await checkLinks(user.customerId, c);
        if (kind === 'request' && c.category === 'payment-facilities') {
          c.details = { ...c.details, ...(await paymentFacilities(user.customerId, user.username, c)) };
        }
        const filed = await d.cases.file(user.customerId, { ...c, kind }, files);
        return reply
          .code(201)
          .send({ trackingNumber: filed.trackingNumber, status: filed.status, targetDate: filed.targetDate });
      },
    );
    app.get(
      `/api/agency/${path}`,
      {
        config: session,
        schema: {
          tags,
          summary: `My ${path}, newest first`,
          response: { 200: Type.Object({ [path]: Type.Array(Summary) }), ...errorAnswers },
        },
      },
      async (req) => ({ [path]: await d.cases.list({ customerId: agencyUser(req).customerId, kind }) }),
    );
    app.get(
      `/api/agency/${path}/:trackingNumber`,
      {
        config: session,
        schema: {
          tags,
          summary: `One of my ${path} with its status history, messages and attachments`,
          params: TnParams,
          response: { 200: Detail, ...errorAnswers },
        },
      },
      async (req) =>
        d.cases.detail((req.params as { trackingNumber: string }).trackingNumber, agencyUser(req).customerId),
    );
    app.post(
      `/api/agency/${path}/:trackingNumber/messages`,
      {
        config: session,
        schema: {
          tags,
          summary: `Write to the agency about one of my ${path}`,
          params: TnParams,
          body: MessageBody,
          response: { 200: Detail, ...errorAnswers },
        },
      },
      async (req) =>
        d.cases.addMessage(
          (req.params as { trackingNumber: string }).trackingNumber,
          'customer',
          (req.body as { text: string }).text,
          agencyUser(req).customerId,
        ),
    );
    app.post(
      `/api/agency/${path}/:trackingNumber/attachments`,
      {
        config: session,
        schema: {
          tags,
          summary: `Add files (multipart/form-data; PDF, PNG, JPEG) to one of my ${path}`,
          params: TnParams,
          body: { content: { 'multipart/form-data': { schema: AnyMultipart } } },
          response: { 200: Detail, ...errorAnswers },
        },
      },
      async (req) => {
        const tn = (req.params as { trackingNumber: string }).trackingNumber;
        await d.cases.detail(tn, agencyUser(req).customerId);
        return d.cases.addAttachments(tn, await readFiles(req));
      },
    );
    app.get(
      `/api/agency/${path}/:trackingNumber/attachments/:id`,
      {
        config: session,
        schema: {
          tags,
          summary: 'Download an attachment (always as a file, never rendered)',
          params: FileParams,
          response: { 200: Type.Any(), ...errorAnswers },
        },
      },
      async (req, reply) => {
        const p = req.params as { trackingNumber: string; id: string };
        return sendAttachment(
          reply,
          await d.cases.attachment(p.trackingNumber, p.id, agencyUser(req).customerId),
        );
      },
    );
  }

  // The operators' queue (API key, role operator).
  const operator = { roles: ['operator' as const] };
  app.get(
    '/api/agency/queue',
    {
      config: operator,
      schema: {
        tags,
        summary:
          'Claims and requests to handle, newest first; filters kind, status, category, overdue (operators)',
        querystring: Type.Object(
          {
            kind: Type.Optional(Type.Union([Type.Literal('claim'), Type.Literal('request')])),
            status: Type.Optional(literals(STATUSES)),
            category: Type.Optional(Type.String({ pattern: '^[a-z-]{1,40}$' })),
            overdue: Type.Optional(Type.Boolean()),
            customerId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ cases: Type.Array(Summary) }), ...errorAnswers },
      },
    },
    async (req) => ({
      cases: await d.cases.list(
        req.query as { kind?: CaseKind; status?: CaseStatus; category?: string; overdue?: boolean },
      ),
    }),
  );
  app.get(
    '/api/agency/queue/:trackingNumber',
    {
      config: operator,
      schema: {
        tags,
        summary: 'One claim or request in full (operators)',
        params: TnParams,
        response: { 200: Detail, ...errorAnswers },
      },
    },
    async (req) => d.cases.detail((req.params as { trackingNumber: string }).trackingNumber),
  );
  app.post(
    '/api/agency/queue/:trackingNumber/status',
    {
      config: operator,
      schema: {
        tags,
        summary:
          'Move a claim or request forward (acknowledged, in-progress, resolved, rejected); the customer gets an SMS (operators)',
        params: TnParams,
        body: Type.Object(
          { status: literals(STATUSES.slice(1)), note: Type.Optional(Type.String({ maxLength: 500 })) },
          { additionalProperties: false },
        ),
        response: { 200: Detail, ...errorAnswers },
      },
    },
    async (req) => {
      const b = req.body as { status: CaseStatus; note?: string };
      return d.cases.move(
        (req.params as { trackingNumber: string }).trackingNumber,
        b.status,
        req.principal!.id,
        b.note,
      );
    },
  );
  app.post(
    '/api/agency/queue/:trackingNumber/messages',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Answer the customer in the case thread; they get an SMS (operators)',
        params: TnParams,
        body: MessageBody,
        response: { 200: Detail, ...errorAnswers },
      },
    },
    async (req) =>
      d.cases.addMessage(
        (req.params as { trackingNumber: string }).trackingNumber,
        'operator',
        (req.body as { text: string }).text,
      ),
  );
  app.get(
    '/api/agency/queue/:trackingNumber/attachments/:id',
    {
      config: operator,
      schema: {
        tags,
        summary: 'Download an attachment of a case (operators)',
        params: FileParams,
        response: { 200: Type.Any(), ...errorAnswers },
      },
    },
    async (req, reply) => {
      const p = req.params as { trackingNumber: string; id: string };
      return sendAttachment(reply, await d.cases.attachment(p.trackingNumber, p.id));
    },
  );
}
