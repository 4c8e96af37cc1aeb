import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ID_PATTERN, OBIS_CODE_PATTERN } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError } from '../../platform/index.js';
import type { EstimateRecord, EstimationService, RegularisationRecord } from './estimation-service.js';

export interface EstimationPluginOptions {
  service: EstimationService;
  defaultObis?: string;
}

const ErrorBody = ErrorAnswerSchema;
const DAY = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const Params = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
const EstimateBody = Type.Object({
  id: Type.Integer(),
  meterId: Type.String(),
  obis: Type.String(),
  periodFrom: Type.String(),
  periodTo: Type.String(),
  estimated: Type.Number(),
  basis: Type.String({ description: 'same_period_prior_years | recent_history' }),
  basisDetail: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String({ description: 'estimated | regularised' }),
  regularisationId: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});
export const RegularisationBody = Type.Object({
  id: Type.Integer(),
  meterId: Type.String(),
  obis: Type.String(),
  periodFrom: Type.String(),
  periodTo: Type.String(),
  billed: Type.Number(),
  actual: Type.Number(),
  difference: Type.Number(),
  readingQuality: Type.String(),
  readingDay: Type.String(),
  readingIndex: Type.Number(),
  startIndex: Type.Number(),
  usualLevel: Type.Union([Type.Number(), Type.Null()]),
  aboveUsual: Type.Boolean(),
  instalmentMonths: Type.Union([Type.Integer(), Type.Null()]),
  instalmentAmount: Type.Union([Type.Number(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const serialiseEstimate = (e: EstimateRecord) => ({
  ...e,
  basisDetail: e.basisDetail as unknown as Record<string, unknown>,
  createdAt: e.createdAt.toISOString(),
});
export const serialiseRegularisation = (r: RegularisationRecord) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
});

async function mayRead(app: FastifyInstance, request: FastifyRequest, meterId: string): Promise<void> {
  const p = request.principal;
  if (!p || p.role !== 'customer') return;
  if (app.hasDecorator('canSeeMeter') && (await app.canSeeMeter(p, meterId))) return;
  throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: meterId } });
}

/** Estimated billing periods and regularisations of a meter; operators can estimate a period. */
export const estimationPlugin: FastifyPluginAsyncTypebox<EstimationPluginOptions> = async (app, options) => {
  const obisQuery = Type.Object({ obis: Type.Optional(Type.String({ pattern: OBIS_CODE_PATTERN })) });

  app.get(
    '/api/meters/:id/estimates',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'estimated billing periods of a meter, newest first',
        tags: ['estimation'],
        params: Params,
        querystring: obisQuery,
        response: { 200: Type.Array(EstimateBody), 404: ErrorBody },
      },
    },
    async (request) => {
      await mayRead(app, request, request.params.id);
      return (await options.service.estimates(request.params.id, request.query.obis)).map(serialiseEstimate);
    },
  );

  app.post(
    '/api/meters/:id/estimates',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'estimate a billing period that has no real reading',
        tags: ['estimation'],
        params: Params,
        body: Type.Object(
          { from: DAY, to: DAY, obis: Type.Optional(Type.String({ pattern: OBIS_CODE_PATTERN })) },
          { additionalProperties: false },
        ),
        response: { 201: EstimateBody, 400: ErrorBody, 409: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const e = await options.service.estimate({
        meterId: request.params.id,
        obis: request.body.obis ?? options.defaultObis ?? '1-0:1.8.0',
        from: request.body.from,
        to: request.body.to,
      });
      return reply.code(201).send(serialiseEstimate(e));
    },
  );

  app.get(
    '/api/meters/:id/regularisations',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'regularisations of estimated periods (with any instalment plan offered)',
        tags: ['estimation'],
        params: Params,
        querystring: obisQuery,
        response: { 200: Type.Array(RegularisationBody), 404: ErrorBody },
      },
    },
    async (request) => {
      await mayRead(app, request, request.params.id);
      return (await options.service.regularisations(request.params.id, request.query.obis)).map(
        serialiseRegularisation,
      );
    },
  );
};
