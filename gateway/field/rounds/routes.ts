import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ID_PATTERN, parseIsoDate } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError, invalidRequest, type SqlExecutor } from '../../platform/index.js';
import { parseArea } from '../area.js';
import type { ReadingRounds } from './reading-rounds.js';
import { assertRoundInScope, readerFilter } from './reader-scope.js';
import { rechargeRound } from './recharge-rounds.js';

export interface RoundsPluginOptions {
  rounds: ReadingRounds;
  db: SqlExecutor;
}

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);
const RoundBody = Type.Object({
  id: Type.String(),
  area: Type.String(),
  period: Type.String(),
  reader: Type.String(),
  status: Type.String({ description: 'open | suspended | closed' }),
  meters: Type.Array(
    Type.Object({
      meter: Type.String(),
      seq: Type.Integer({ description: 'walking order (nearest neighbour)' }),
      obis: Type.String(),
      address: Type.Union([Type.String(), Type.Null()]),
      lat: Type.Number(),
      lon: Type.Number(),
      previousIndex: Nullable(Type.Number()),
      previousAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      expectedMin: Nullable(Type.Number()),
      expectedMax: Nullable(Type.Number()),
      read: Type.Boolean(),
    }),
  ),
});
const RoundStatus = Type.Union([Type.Literal('open'), Type.Literal('suspended'), Type.Literal('closed')]);
const RoundSummaryBody = Type.Object({
  id: Type.String(),
  area: Type.String(),
  period: Type.String(),
  reader: Type.String(),
  status: RoundStatus,
  meters: Type.Integer({ description: 'meters on the round' }),
  read: Type.Integer({ description: 'meters with an accepted index' }),
});
const Params = Type.Object({ id: Type.String({ maxLength: 20 }) });
export const ROUND_ANOMALIES = [
  'inaccessible',
  'stopped',
  'broken-seal',
  'suspected-fraud',
  'illegible',
] as const;

/** Meter-reading rounds (relève) for the meters read by hand. */
export const roundsPlugin: FastifyPluginAsyncTypebox<RoundsPluginOptions> = async (app, options) => {
  app.post(
    '/api/reading-rounds',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'create a reading round: the hand-read meters of an area in walking order, with expected ranges (staff: not a reader)',
        tags: ['field'],
        body: Type.Object(
          {
            area: Type.String({
              minLength: 1,
              maxLength: 220,
              description: 'commune:NAME, feeder:ID or transformer:ID',
            }),
            period: Type.String({ maxLength: 7, description: 'billing period YYYY-MM' }),
            reader: Type.String({ minLength: 1, maxLength: 100 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: RoundBody, 400: ErrorAnswerSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await options.rounds.create(request.body)),
  );

  app.get(
    '/api/reading-rounds',
    {
      config: { roles: ['operator', 'reader'] },
      schema: {
        summary:
          "reading rounds, newest first: a reader's own (the phone's list) or those in one status; a reader key lists only its own",
        tags: ['field'],
        querystring: Type.Object(
          {
            reader: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            status: Type.Optional(RoundStatus),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ rounds: Type.Array(RoundSummaryBody) }),
          400: ErrorAnswerSchema,
          403: ErrorAnswerSchema,
        },
      },
    },
    async (request) => {
      const reader = readerFilter(request.principal, request.query.reader);
      const { status } = request.query;
      return {
        rounds: await options.rounds.list({ ...(reader ? { reader } : {}), ...(status ? { status } : {}) }),
      };
    },
  );

  app.get(
    '/api/reading-rounds/:id',
    {
      config: { roles: ['operator', 'reader'] },
      schema: {
        summary:
          'a reading round and its progress (which meters are read); a reader key reaches only its own',
        tags: ['field'],
        params: Params,
        response: { 200: RoundBody, 404: ErrorAnswerSchema },
      },
    },
    async (request) => {
      await assertRoundInScope(options.rounds, request.principal, request.params.id);
      const r = await options.rounds.get(request.params.id);
      if (!r) throw new GatewayError('MG_ERR_FIELD_ROUND_NOT_FOUND', { params: { id: request.params.id } });
      return r;
    },
  );

  app.post(
    '/api/reading-rounds/:id/status',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'suspend, resume or close a round (a suspended area is left to the estimator)',
        tags: ['field'],
        params: Params,
        body: Type.Object({ status: RoundStatus }, { additionalProperties: false }),
        response: { 200: RoundBody, 400: ErrorAnswerSchema, 404: ErrorAnswerSchema },
      },
    },
    async (request) => options.rounds.setStatus(request.params.id, request.body.status),
  );

  app.post(
    '/api/reading-rounds/:id/readings',
    {
      config: { roles: ['operator', 'reader'] },
      schema: {
        summary:
          'an index read on the round (idempotent by meter and readAt): accepted, or implausible and not billed; a reader key posts only to its own rounds',
        tags: ['field'],
        params: Params,
        body: Type.Object(
          {
            meter: Type.String({ pattern: ID_PATTERN }),
            index: Type.Number({ minimum: 0, maximum: 1e12, description: 'the register as displayed' }),
            readAt: Type.String({ maxLength: 40, format: 'date-time' }),
            anomaly: Type.Optional(Type.Union(ROUND_ANOMALIES.map((a) => Type.Literal(a)))),
            position: Type.Optional(
              Type.Object(
                {
                  lat: Type.Number({ minimum: -90, maximum: 90 }),
                  lon: Type.Number({ minimum: -180, maximum: 180 }),
                },
                { additionalProperties: false },
              ),
            ),
            photo: Type.Optional(
              Type.String({ maxLength: 2_000_000, description: 'data: URL of the photo' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            status: Type.Union([Type.Literal('accepted'), Type.Literal('implausible')]),
            reason: Type.Optional(Type.String()),
            workOrder: Type.Optional(
              Type.String({ description: 're-read work order raised for an implausible index' }),
            ),
          }),
          400: ErrorAnswerSchema,
          404: ErrorAnswerSchema,
          409: ErrorAnswerSchema,
          422: ErrorAnswerSchema,
        },
      },
    },
    async (request) => {
      await assertRoundInScope(options.rounds, request.principal, request.params.id);
      const readAt = parseIsoDate(request.body.readAt);
      if (!readAt) throw invalidRequest({ field: 'body/readAt', reason: 'not an ISO 8601 date-time' });
      const { meter, index, anomaly, position, photo } = request.body;
      return options.rounds.submit(request.params.id, {
        meter,
        index,
        readAt,
        ...(anomaly ? { anomaly } : {}),
        ...(position ? { position } : {}),
        ...(photo ? { photo } : {}),
      });
    },
  );

  app.get(
    '/api/recharge-rounds',
    {
      config: { roles: ['operator', 'vendor'] },
      schema: {
        summary:
          'a recharge round: prepaid meters of an area out of credit or running out within N days, in walking order (nearest neighbour)',
        tags: ['field'],
        querystring: Type.Object(
          {
            area: Type.Optional(
              Type.String({ maxLength: 220, description: 'commune:NAME, feeder:ID or transformer:ID' }),
            ),
            days: Type.Optional(Type.Integer({ minimum: 0, maximum: 365, default: 3 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            area: Type.String(),
            days: Type.Integer(),
            meters: Type.Array(
              Type.Object({
                seq: Type.Integer(),
                meter: Type.String(),
                customerId: Type.Union([Type.String(), Type.Null()]),
                address: Type.Union([Type.String(), Type.Null()]),
                lat: Type.Number(),
                lon: Type.Number(),
                remainingUnits: Type.Number(),
                daysLeft: Type.Union([Type.Number(), Type.Null()]),
              }),
            ),
          }),
          400: ErrorAnswerSchema,
        },
      },
    },
    async (request) => {
      const days = request.query.days ?? 3;
      // The query string's coercion lets "Infinity" through the integer schema: refused here.
      if (!Number.isInteger(days) || days < 0 || days > 365) {
        throw invalidRequest({ field: 'querystring/days', reason: 'an integer from 0 to 365' });
      }
      const area = request.query.area ?? 'all';
      return { area, days, meters: await rechargeRound(options.db, parseArea(area), days) };
    },
  );
};
