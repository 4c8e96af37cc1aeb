import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ID_PATTERN, parseIsoDate } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError, invalidRequest, type Principal } from '../../platform/index.js';
import { MeterKeysInput } from '../../prepaid/index.js';
import { WORK_ORDER_KINDS, WORK_ORDER_STATUSES, type WorkOrders } from './work-orders.js';

export interface WorkOrdersPluginOptions {
  workOrders: WorkOrders;
}

const WorkOrderBody = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  status: Type.String(),
  meter: Type.Union([Type.String(), Type.Null()], {
    description: 'null for an installation asked for in the agency until the installer names the meter',
  }),
  newMeter: Type.Union([Type.String(), Type.Null()]),
  assignee: Type.Union([Type.String(), Type.Null()]),
  trackingNumber: Type.Union([Type.String(), Type.Null()], {
    description: 'the agency request (DM-…) this work order answers',
  }),
  customerId: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()]),
  lat: Type.Union([Type.Number(), Type.Null()], {
    description: 'WGS 84; the meter’s point or the request’s',
  }),
  lon: Type.Union([Type.Number(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
  completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Index = Type.Number({ minimum: 0, maximum: 1e12 });
const When = Type.String({ maxLength: 40, format: 'date-time' });
const Params = Type.Object({ id: Type.String({ maxLength: 20 }) });
const Lat = Type.Number({ minimum: -90, maximum: 90, description: 'WGS 84 latitude' });
const Lon = Type.Number({ minimum: -180, maximum: 180, description: 'WGS 84 longitude' });
const TrackingNumber = Type.String({
  pattern: '^DM-\\d{4}-\\d{6}$',
  description: 'an agency request (DM-YYYY-NNNNNN)',
});

/** Both coordinates or neither. */
function bothOrNeither(b: { lat?: number; lon?: number }): void {
  if ((b.lat === undefined) !== (b.lon === undefined))
    throw invalidRequest({
      field: b.lat === undefined ? 'body/lat' : 'body/lon',
      reason: 'lat and lon go together',
    });
}

/** Prepaid meters: what the exchange moves to the new meter. */
const Prepaid = {
  remainingCreditKwh: Type.Optional(
    Type.Number({
      minimum: 0,
      maximum: 1e6,
      description:
        'prepaid meter: the credit on the old meter’s display when removed (kWh, to 0.1), issued as a credit-transfer token on the new meter',
    }),
  ),
  newMeterKeys: Type.Optional(
    Type.Object(MeterKeysInput.properties, {
      additionalProperties: false,
      description:
        'prepaid meter: the new meter’s STS key data (PAN, SGC, TI, KRN, KT, KEN, EA, DKGA, base date and vendingKey or keyRef); registered for vending, never returned',
    }),
  ),
};
const Errors = {
  400: ErrorAnswerSchema,
  404: ErrorAnswerSchema,
  409: ErrorAnswerSchema,
  422: ErrorAnswerSchema,
  503: ErrorAnswerSchema,
};

function principalOf(p: Principal | undefined): Principal {
  if (!p) throw new GatewayError('MG_ERR_AUTH_UNAUTHENTICATED');
  return p;
}

function date(text: string, field: string): Date {
  const d = parseIsoDate(text);
  if (!d) throw invalidRequest({ field, reason: 'not an ISO 8601 date-time' });
  return d;
}

/** Work orders: install, exchange, remove, disconnect, reconnect, inspect, re-read. */
export const workOrdersPlugin: FastifyPluginAsyncTypebox<WorkOrdersPluginOptions> = async (app, options) => {
  app.post(
    '/api/work-orders',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'create a work order (at its meter’s place, or at the given address and position); an installation may answer an agency connection request (trackingNumber, no meter); an exchange with both indexes and its time is recorded as completed (the contract register continues; a prepaid meter’s credit and advance move to the new meter)',
        tags: ['field'],
        body: Type.Object(
          {
            kind: Type.Union(WORK_ORDER_KINDS.map((k) => Type.Literal(k))),
            meter: Type.Optional(
              Type.String({
                pattern: ID_PATTERN,
                description: 'required, except for an installation answering trackingNumber',
              }),
            ),
            trackingNumber: Type.Optional(TrackingNumber),
            address: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
            lat: Type.Optional(Lat),
            lon: Type.Optional(Lon),
            assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            newMeter: Type.Optional(Type.String({ pattern: ID_PATTERN })),
            oldFinalIndex: Type.Optional(Index),
            newInitialIndex: Type.Optional(Index),
            at: Type.Optional(When),
            ...Prepaid,
            note: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: WorkOrderBody, ...Errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      if (
        b.kind !== 'exchange' &&
        (b.newMeter ||
          b.oldFinalIndex !== undefined ||
          b.newInitialIndex !== undefined ||
          b.remainingCreditKwh !== undefined ||
          b.newMeterKeys)
      ) {
        throw invalidRequest({
          field: 'body/newMeter',
          reason: 'only an exchange names a new meter and indexes',
        });
      }
      if (b.kind === 'exchange' && !b.newMeter)
        throw invalidRequest({ field: 'body/newMeter', reason: 'required for an exchange' });
      if (!b.meter && !b.trackingNumber)
        throw invalidRequest({
          field: 'body/meter',
          reason: 'required (or trackingNumber for an installation)',
        });
      bothOrNeither(b);
      const wo = await options.workOrders.create({
        kind: b.kind,
        ...(b.meter ? { meter: b.meter } : {}),
        ...(b.trackingNumber ? { trackingNumber: b.trackingNumber } : {}),
        place: {
          ...(b.address ? { address: b.address } : {}),
          ...(b.lat !== undefined && b.lon !== undefined ? { lat: b.lat, lon: b.lon } : {}),
        },
        ...(b.assignee ? { assignee: b.assignee } : {}),
        ...(b.note ? { details: { note: b.note } } : {}),
        exchange: {
          ...(b.newMeter ? { newMeter: b.newMeter } : {}),
          ...(b.oldFinalIndex !== undefined ? { oldFinalIndex: b.oldFinalIndex } : {}),
          ...(b.newInitialIndex !== undefined ? { newInitialIndex: b.newInitialIndex } : {}),
          ...(b.at ? { at: date(b.at, 'body/at') } : {}),
          ...(b.remainingCreditKwh !== undefined ? { remainingCreditKwh: b.remainingCreditKwh } : {}),
          ...(b.newMeterKeys ? { newMeterKeys: b.newMeterKeys } : {}),
        },
        principal: principalOf(request.principal),
      });
      return reply.code(201).send(wo);
    },
  );

  app.get(
    '/api/work-orders',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'work orders, newest first',
        tags: ['field'],
        querystring: Type.Object(
          {
            status: Type.Optional(Type.Union(WORK_ORDER_STATUSES.map((s) => Type.Literal(s)))),
            meter: Type.Optional(Type.String({ pattern: ID_PATTERN })),
            trackingNumber: Type.Optional(TrackingNumber),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ workOrders: Type.Array(WorkOrderBody) }), 400: ErrorAnswerSchema },
      },
    },
    async (request) => ({ workOrders: await options.workOrders.list(request.query) }),
  );

  app.get(
    '/api/work-orders/:id',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'one work order',
        tags: ['field'],
        params: Params,
        response: { 200: WorkOrderBody, 404: ErrorAnswerSchema },
      },
    },
    async (request) => {
      const wo = await options.workOrders.get(request.params.id);
      if (!wo)
        throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_NOT_FOUND', { params: { id: request.params.id } });
      return wo;
    },
  );

  app.post(
    '/api/work-orders/:id/status',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'move a work order along its workflow (open → assigned → in-progress → completed; cancelled)',
        tags: ['field'],
        params: Params,
        body: Type.Object(
          {
            status: Type.Union(WORK_ORDER_STATUSES.map((s) => Type.Literal(s))),
            assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: WorkOrderBody, ...Errors },
      },
    },
    async (request) =>
      options.workOrders.setStatus(request.params.id, request.body.status, request.body.assignee),
  );

  app.post(
    '/api/work-orders/:id/complete',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'complete an exchange (old meter’s final index, new meter’s initial index; prepaid: with the credit left and the new meter’s keys; the same report again answers the completed work order) or an installation (the installed meter and its initial index; its connection point is made at the work order’s place, and an agency request is resolved)',
        tags: ['field'],
        params: Params,
        body: Type.Object(
          {
            newMeter: Type.String({ pattern: ID_PATTERN }),
            oldFinalIndex: Type.Optional(Index),
            newInitialIndex: Index,
            at: When,
            lat: Type.Optional(Lat),
            lon: Type.Optional(Lon),
            ...Prepaid,
          },
          { additionalProperties: false },
        ),
        response: { 200: WorkOrderBody, ...Errors },
      },
    },
    async (request) => {
      const b = request.body;
      const id = request.params.id;
      const at = date(b.at, 'body/at');
      const wo = await options.workOrders.get(id);
      if (!wo) throw new GatewayError('MG_ERR_FIELD_WORK_ORDER_NOT_FOUND', { params: { id } });
      if (wo.kind === 'installation') {
        if (b.oldFinalIndex !== undefined)
          throw invalidRequest({ field: 'body/oldFinalIndex', reason: 'an installation removes no meter' });
        if (b.remainingCreditKwh !== undefined || b.newMeterKeys)
          throw invalidRequest({
            field: b.newMeterKeys ? 'body/newMeterKeys' : 'body/remainingCreditKwh',
            reason: 'an installation moves no credit (register a new prepaid meter through vending)',
          });
        bothOrNeither(b);
        return options.workOrders.completeInstallation(id, {
          newMeter: b.newMeter,
          newInitialIndex: b.newInitialIndex,
          at,
          ...(b.lat !== undefined && b.lon !== undefined ? { lat: b.lat, lon: b.lon } : {}),
        });
      }
      if (b.oldFinalIndex === undefined)
        throw invalidRequest({ field: 'body/oldFinalIndex', reason: 'required to complete an exchange' });
      if (b.lat !== undefined || b.lon !== undefined)
        throw invalidRequest({ field: 'body/lat', reason: 'an exchange keeps its connection point' });
      const { lat: _lat, lon: _lon, ...exchange } = b;
      return options.workOrders.complete(
        id,
        { ...exchange, oldFinalIndex: b.oldFinalIndex, at },
        principalOf(request.principal),
      );
    },
  );
};
