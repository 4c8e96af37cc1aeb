import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorAnswerSchema, GatewayError, invalidRequest, type Principal } from '../../platform/index.js';
import {
  confirmKeyChange,
  scheduleKeyChange,
  type ScheduleKeyChange,
} from '../management/key-change-ride.js';
import type { VendingService } from '../vending/service.js';
import {
  agencyZReport,
  closeShift,
  getShift,
  openShift,
  shiftView,
  shiftZReport,
  zReportCsv,
  zReportPdf,
  type ZReport,
} from '../vendors/shifts.js';
import {
  getVendor,
  ownVendor,
  recordFloatMovement,
  upsertVendor,
  VendorInput,
  vendorView,
} from '../vendors/vendors.js';
import { freeBasicReport, issueFreeBasic } from './free-basic.js';
import {
  creditNote,
  reprintVend,
  reverseVend,
  type CreditNoteRequest,
  type ReverseRequest,
} from './reversal.js';
import { smsPurchase, ussdSession, type InboundSms } from './sms-purchase.js';
import { paygTokenRoutes } from './payg-tokens.js';
import {
  closeAllowance,
  provisionAllowance,
  syncOffline,
  type AllowanceRequest,
} from '../offline/offline.js';
import { listOfflineAnomalies, type AnomalyFilter } from '../offline/anomalies.js';

const E = ErrorAnswerSchema;
const errors = { 400: E, 401: E, 403: E, 404: E, 409: E, 422: E };
const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
const VendId = Type.String({ maxLength: 64 });
const RequestId = Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$', description: 'client idempotency key' });
const Money = Type.Number({ minimum: -1e9, maximum: 1e9 });
const Obj = Type.Record(Type.String(), Type.Unknown());
const Month = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' });
const Day = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' });

function who(req: FastifyRequest): Principal {
  if (!req.principal) throw new GatewayError('MG_ERR_AUTH_UNAUTHENTICATED');
  return req.principal;
}
const idOf = (req: FastifyRequest): string => (req.params as { id: string }).id;
/** An empty POST is an empty object (operations whose every field is optional). */
const emptyBody = async (req: FastifyRequest): Promise<void> => {
  if (req.body === undefined || req.body === null) req.body = {};
};

async function sendZ(
  z: ZReport,
  format: 'pdf' | 'csv',
  name: string,
  reply: FastifyReply,
): Promise<FastifyReply> {
  if (format === 'csv') {
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .send(zReportCsv(z));
  }
  return reply
    .type('application/pdf')
    .header('content-disposition', `inline; filename="${name}.pdf"`)
    .send(await zReportPdf(z));
}

/**
 * Daily vending operations (issue 22): reversal, reprint, free basic electricity, vendors with
 * float and shifts (cash-up, Z-reports), key changes riding on purchases. Registered by the
 * vending plugin.
 */
export async function operationsRoutes(app: FastifyInstance, service: VendingService): Promise<void> {
  const db = service.db;
  await paygTokenRoutes(app, service);

  app.post(
    '/api/vends/:id/reverse',
    {
      config: { roles: ['vendor', 'operator'] },
      preValidation: emptyBody,
      schema: {
        summary:
          'reverse a purchase within the window while its token is not accepted by the meter (money back, recovery undone, token cancelled; STS cannot revoke it)',
        tags: ['vending'],
        params: Type.Object({ id: VendId }),
        body: Type.Object(
          {
            refundTo: Type.Optional(Type.Union([Type.Literal('vendor'), Type.Literal('customer')])),
            reason: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => reverseVend(service, who(req), idOf(req), req.body as ReverseRequest),
  );

  app.post(
    '/api/vends/:id/credit-note',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'credit note on a purchase that can no longer be reversed (token accepted, window passed): money back to the customer, units stay delivered',
        tags: ['vending'],
        params: Type.Object({ id: VendId }),
        body: Type.Object(
          {
            requestId: RequestId,
            amount: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e9 })),
            reason: Type.String({ minLength: 1, maxLength: 500 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => creditNote(service, who(req), idOf(req), req.body as CreditNoteRequest),
  );

  app.post(
    '/api/vends/:id/reprint',
    {
      config: { roles: ['vendor', 'operator', 'customer'] },
      schema: {
        summary:
          'reprint a past vend marked COPIE / DUPLICATA (audited, no new token; vendors: their own sales)',
        tags: ['vending'],
        params: Type.Object({ id: VendId }),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => reprintVend(service, who(req), idOf(req)),
  );

  app.post(
    '/api/sms/inbound',
    {
      config: { roles: ['vendor'] },
      schema: {
        summary:
          'an SMS to the short code from the SMS provider adapter (ACHAT <meter> <amount>): paid through the calling mobile-wallet channel, token texted back; idempotent by messageId',
        tags: ['vending'],
        body: Type.Object(
          {
            messageId: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,80}$' }),
            from: Type.String({ pattern: '^\\+?[0-9 ]{6,20}$' }),
            text: Type.String({ maxLength: 480 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => smsPurchase(service, who(req), req.body as InboundSms),
  );

  app.post(
    '/api/ussd/session',
    {
      config: { roles: ['vendor'] },
      schema: {
        summary:
          'a USSD session step from the short-code gateway (input so far, *-separated): CON menu or END with the token; the confirmed purchase is the SMS purchase',
        tags: ['vending'],
        body: Type.Object(
          {
            sessionId: Type.String({ pattern: '^[A-Za-z0-9._:-]{1,80}$' }),
            from: Type.String({ pattern: '^\\+?[0-9 ]{6,20}$' }),
            text: Type.String({ maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) =>
      ussdSession(service, who(req), req.body as { sessionId: string; from: string; text: string }),
  );

  app.post(
    '/api/meters/:id/free-basic',
    {
      config: { roles: ['operator', 'vendor'] },
      preValidation: emptyBody,
      schema: {
        summary:
          "issue this month's free basic electricity token of an eligible meter (once per calendar month)",
        tags: ['vending'],
        params: Type.Object({ id: Id }),
        body: Type.Object({ requestId: Type.Optional(RequestId) }, { additionalProperties: false }),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) =>
      issueFreeBasic(service, who(req), idOf(req), (req.body as { requestId?: string }).requestId),
  );

  app.get(
    '/api/reports/free-basic',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'free basic electricity grants of a month (meters, units, subsidy value)',
        tags: ['vending'],
        querystring: Type.Object({ month: Type.Optional(Month) }, { additionalProperties: false }),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) =>
      freeBasicReport(db, (req.query as { month?: string }).month ?? service.now().toISOString().slice(0, 7)),
  );

  app.post(
    '/api/vendors',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'create or update a vendor (kind, float or credit limit, commission, opening hours)',
        tags: ['vendors'],
        body: VendorInput,
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => {
      const v = await upsertVendor(db, req.body);
      await db.query('INSERT INTO audit_log (actor, action, subject, detail) VALUES ($1, $2, $3, $4)', [
        who(req).id,
        'vendor.upsert',
        String(v.id),
        JSON.stringify(req.body),
      ]);
      return v;
    },
  );

  app.get(
    '/api/vendors/:id',
    {
      config: { roles: ['operator', 'vendor'] },
      schema: {
        summary: 'a vendor account with its float balance (vendors: their own)',
        tags: ['vendors'],
        params: Type.Object({ id: Id }),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => {
      ownVendor(who(req), idOf(req));
      const v = vendorView(await getVendor(db, idOf(req)));
      const open = await db.query<{ id: string }>(
        `SELECT id FROM shifts WHERE vendor_id = $1 AND status = 'open'`,
        [idOf(req)],
      );
      return { ...v, openShiftId: open.rows[0]?.id ?? null };
    },
  );

  const Movement = Type.Object(
    { requestId: RequestId, amount: Money, cashFromDrawer: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  );
  for (const [path, kind, summary] of [
    ['top-up', 'top-up', "top up a vendor's float (recorded in the ledger, idempotent on requestId)"],
    [
      'settlements',
      'settlement',
      "settle a vendor's account: > 0 the vendor remits, < 0 the utility pays out (idempotent on requestId)",
    ],
  ] as const) {
    app.post(
      `/api/vendors/:id/${path}`,
      {
        config: { roles: ['operator'] },
        schema: {
          summary,
          tags: ['vendors'],
          params: Type.Object({ id: Id }),
          body: Movement,
          response: { 200: Obj, ...errors },
        },
      },
      async (req) =>
        recordFloatMovement(
          db,
          who(req),
          idOf(req),
          { kind, ...(req.body as { requestId: string; amount: number; cashFromDrawer?: boolean }) },
          service.now(),
        ),
    );
  }

  app.post(
    '/api/vendors/:id/shifts',
    {
      config: { roles: ['vendor', 'operator'] },
      preValidation: emptyBody,
      schema: {
        summary:
          "open a vendor's shift (one at a time); sales and float movements until the close belong to it",
        tags: ['vendors'],
        params: Type.Object({ id: Id }),
        body: Type.Object(
          { openingCash: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9 })) },
          { additionalProperties: false },
        ),
        response: { 201: Obj, ...errors },
      },
    },
    async (req, reply) => {
      const s = await openShift(
        db,
        who(req),
        idOf(req),
        (req.body as { openingCash?: number }).openingCash ?? 0,
        service.now(),
      );
      return reply.code(201).send(s);
    },
  );

  app.get(
    '/api/shifts/:id',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary: 'one shift with its cash-up',
        tags: ['vendors'],
        params: Type.Object({ id: VendId }),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => shiftView(await getShift(db, who(req), idOf(req))),
  );

  app.post(
    '/api/shifts/:id/close',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary: 'close a shift with the cash-up: counted cash against expected, variance',
        tags: ['vendors'],
        params: Type.Object({ id: VendId }),
        body: Type.Object(
          { countedCash: Type.Number({ minimum: 0, maximum: 1e9 }) },
          { additionalProperties: false },
        ),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) =>
      closeShift(db, who(req), idOf(req), (req.body as { countedCash: number }).countedCash, service.now()),
  );

  app.get(
    '/api/shifts/:id/z-report.:format',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary: "a shift's end-of-day Z-report (PDF or CSV)",
        tags: ['vendors'],
        params: Type.Object({
          id: VendId,
          format: Type.Union([Type.Literal('pdf'), Type.Literal('csv')]),
        }),
        response: { 200: Type.Any({ description: 'application/pdf or text/csv' }), ...errors },
      },
    },
    async (req, reply) => {
      const { id, format } = req.params as { id: string; format: 'pdf' | 'csv' };
      return sendZ(await shiftZReport(db, who(req), id, service.now()), format, `z-${id}`, reply);
    },
  );

  app.get(
    '/api/agencies/:id/z-report.:format',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          "an agency's end-of-day Z-report over its vendors (PDF or CSV; ?day=YYYY-MM-DD, default today)",
        tags: ['vendors'],
        params: Type.Object({ id: Id, format: Type.Union([Type.Literal('pdf'), Type.Literal('csv')]) }),
        querystring: Type.Object({ day: Type.Optional(Day) }, { additionalProperties: false }),
        response: { 200: Type.Any({ description: 'application/pdf or text/csv' }), ...errors },
      },
    },
    async (req, reply) => {
      const { id, format } = req.params as { id: string; format: 'pdf' | 'csv' };
      const day = (req.query as { day?: string }).day ?? service.now().toISOString().slice(0, 10);
      const parsed = new Date(`${day}T00:00:00Z`);
      if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day) {
        throw invalidRequest({ field: 'querystring/day', reason: `no such day ${day}` });
      }
      return sendZ(await agencyZReport(db, id, day, service.now()), format, `z-${id}-${day}`, reply);
    },
  );

  app.post(
    '/api/vendors/:id/offline-allowances',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary:
          "provision a mobile agent's device for offline sales: a pre-authorised block taken from the vendor's float and, per assigned meter, the material its sealed security module mints with (idempotent on requestId)",
        tags: ['vendors'],
        params: Type.Object({ id: Id }),
        body: Type.Object(
          {
            requestId: RequestId,
            deviceId: Id,
            amount: Type.Number({ exclusiveMinimum: 0, maximum: 1e7 }),
            meterIds: Type.Array(Id, { minItems: 1, maxItems: 5000 }),
            hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 14 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => provisionAllowance(service, who(req), idOf(req), req.body as AllowanceRequest),
  );

  app.post(
    '/api/offline/sync',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary:
          "reconcile a device's offline sales exactly once by (device, sequence): duplicates, conflicts, overspend, unknown meters and used TIDs reported, never booked twice",
        tags: ['vendors'],
        body: Type.Object(
          {
            allowanceId: VendId,
            deviceId: Id,
            vends: Type.Array(
              Type.Object(
                {
                  seq: Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 }),
                  meterId: Id,
                  amount: Type.Number({ exclusiveMinimum: 0, maximum: 1e6 }),
                  units: Type.Number({ minimum: 0.1, maximum: 100_000 }),
                  tid: Type.Integer({ minimum: 0, maximum: 2 ** 24 - 1 }),
                  token: Type.String({ pattern: '^[0-9]{20}$' }),
                  soldAt: Type.String({ format: 'date-time' }),
                },
                { additionalProperties: false },
              ),
              { maxItems: 5000 },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => syncOffline(service, who(req), req.body as Parameters<typeof syncOffline>[2]),
  );

  app.post(
    '/api/offline-allowances/:id/close',
    {
      config: { roles: ['vendor', 'operator'] },
      schema: {
        summary: "close an offline allowance: what was not sold returns to the vendor's float",
        tags: ['vendors'],
        params: Type.Object({ id: VendId }),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => closeAllowance(service, who(req), idOf(req)),
  );

  app.get(
    '/api/offline/anomalies',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'what offline reconciliation flagged, per device allowance: conflicts, overspends, unknown meters, used TIDs and price mismatches (sold against expected units); the latest 1,000',
        tags: ['vendors'],
        querystring: Type.Object(
          {
            vendorId: Type.Optional(Id),
            deviceId: Type.Optional(Id),
            allowanceId: Type.Optional(VendId),
            kind: Type.Optional(
              Type.Union(
                (['conflict', 'overspend', 'unknown-meter', 'tid-used', 'price-mismatch'] as const).map((k) =>
                  Type.Literal(k),
                ),
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            allowances: Type.Array(
              Type.Object({
                allowanceId: Type.String(),
                vendorId: Type.String(),
                deviceId: Type.String(),
                amount: Type.Number(),
                spent: Type.Number(),
                status: Type.String(),
                createdAt: Type.String(),
                expiresAt: Type.String(),
                anomalies: Type.Array(Obj),
              }),
            ),
            truncated: Type.Boolean(),
          }),
          ...errors,
        },
      },
    },
    async (req) => listOfflineAnomalies(db, req.query as AnomalyFilter),
  );

  const KeyChangeBody = {
    requestId: RequestId,
    krn: Type.Optional(Type.Integer({ minimum: 1, maximum: 9 })),
    ken: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    rollover: Type.Optional(Type.Boolean()),
    keyRef: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    reason: Type.Optional(Type.String({ maxLength: 200 })),
  };
  app.post(
    '/api/meters/:id/key-change',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          "schedule a key change riding on the meter's next purchase (refused while the previous one is unconfirmed)",
        tags: ['management'],
        params: Type.Object({ id: Id }),
        body: Type.Object(KeyChangeBody, { additionalProperties: false }),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => scheduleKeyChange(service, who(req), idOf(req), req.body as ScheduleKeyChange),
  );

  app.post(
    '/api/key-changes',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'schedule key changes for a group of meters (each rides on its next purchase)',
        tags: ['management'],
        body: Type.Object(
          { ...KeyChangeBody, meterIds: Type.Array(Id, { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => {
      const { meterIds, ...body } = req.body as ScheduleKeyChange & { meterIds: string[] };
      const results: unknown[] = [];
      for (const meterId of meterIds) {
        try {
          results.push({
            meterId,
            ok: true,
            result: await scheduleKeyChange(service, who(req), meterId, body),
          });
        } catch (err) {
          if (!(err instanceof GatewayError)) throw err;
          results.push({ meterId, ok: false, error: { code: err.code, message: err.message } });
        }
      }
      return { results };
    },
  );

  app.post(
    '/api/meters/:id/key-change/confirm',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'confirm the meter accepted its key change (the new key becomes current)',
        tags: ['management'],
        params: Type.Object({ id: Id }),
        response: { 200: Obj, ...errors },
      },
    },
    async (req) => {
      const p = who(req);
      if (p.role === 'customer' && !(await app.canSeeMeter(p, idOf(req)))) {
        throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: idOf(req) } });
      }
      return confirmKeyChange(db, p, idOf(req), service.now());
    },
  );
}
