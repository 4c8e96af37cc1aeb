import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ID_PATTERN, OBIS_CODE_PATTERN } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError } from '../../platform/index.js';
import type { AnomalyStore } from './anomaly-store.js';
import type { ConsumptionComparison } from './comparison.js';
import { dayString } from './days.js';
import { AnalyticsError } from './errors.js';
import { ANOMALY_KINDS, ANOMALY_STATUSES, type AnomalyKind, type AnomalyStatus } from './types.js';

export interface AnalyticsPluginOptions {
  anomalies: AnomalyStore;
  comparison: ConsumptionComparison;
  /** Default register for the comparison (electricity import). */
  defaultObis?: string;
  now?: () => Date;
}

/** A string enum as one JSON-schema `enum` (TypeBox unions of mapped literals lose their static type). */
function StringEnum<T extends string>(values: readonly T[], options: { default?: T } = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
}

const ErrorBody = ErrorAnswerSchema;
const DAY_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const AnomalyBody = Type.Object({
  id: Type.Integer(),
  meterId: Type.String(),
  obis: Type.String(),
  kind: StringEnum(ANOMALY_KINDS),
  status: StringEnum(ANOMALY_STATUSES),
  firstDay: Type.String(),
  lastDay: Type.String(),
  detections: Type.Integer(),
  evidence: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  acknowledgedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
  resolvedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  resolvedBy: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
});
const WindowTotal = Type.Object({
  from: Type.String(),
  to: Type.String(),
  total: Type.Number(),
  daysWithData: Type.Integer(),
});
const ComparisonBody = Type.Object({
  meterId: Type.String(),
  obis: Type.String(),
  window: Type.Union([Type.Literal('rolling'), Type.Literal('billing_month')]),
  current: WindowTotal,
  reference: WindowTotal,
  basis: Type.Union([Type.Literal('prior_year'), Type.Literal('recent_history')]),
  basisReason: Type.Optional(Type.String()),
  ratio: Type.Union([Type.Number(), Type.Null()]),
  difference: Type.Number(),
  abnormal: Type.Boolean(),
  thresholds: Type.Object({ ratio: Type.Number(), minDifference: Type.Number() }),
});

async function mayRead(app: FastifyInstance, request: FastifyRequest, meterId: string): Promise<boolean> {
  const p = request.principal;
  if (!p || p.role !== 'customer') return true;
  return app.hasDecorator('canSeeMeter') ? app.canSeeMeter(p, meterId) : false;
}

function serialise(a: Awaited<ReturnType<AnomalyStore['list']>>[number]) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    ...a,
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
    acknowledgedAt: iso(a.acknowledgedAt),
    resolvedAt: iso(a.resolvedAt),
  };
}

/**
 * Anomalies (list, acknowledge, resolve) for operators, and the consumption comparison (this period
 * against the same weekdays last year) for operators and the meter's customer.
 */
export const analyticsPlugin: FastifyPluginAsyncTypebox<AnalyticsPluginOptions> = async (app, options) => {
  app.get(
    '/api/anomalies',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'anomalies found on the daily rollups, newest first',
        tags: ['analytics'],
        querystring: Type.Object({
          status: Type.Optional(StringEnum(ANOMALY_STATUSES)),
          kind: Type.Optional(StringEnum(ANOMALY_KINDS)),
          meterId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          beforeId: Type.Optional(Type.Integer({ minimum: 1 })),
        }),
        response: { 200: Type.Array(AnomalyBody), 400: ErrorBody },
      },
    },
    async (request) => {
      const q = request.query;
      const list = await options.anomalies.list({
        ...(q.status ? { status: q.status as AnomalyStatus } : {}),
        ...(q.kind ? { kind: q.kind as AnomalyKind } : {}),
        ...(q.meterId ? { meterId: q.meterId } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.beforeId ? { beforeId: q.beforeId } : {}),
      });
      return list.map(serialise);
    },
  );

  app.get(
    '/api/anomalies/:id',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'one anomaly with its evidence',
        tags: ['analytics'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: AnomalyBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const a = await options.anomalies.get(request.params.id);
      if (!a) throw new AnalyticsError('MG_ERR_ANALYTICS_NOT_FOUND', `id ${request.params.id}`);
      return serialise(a);
    },
  );

  app.patch(
    '/api/anomalies/:id',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'acknowledge or resolve an anomaly (open → acknowledged → resolved)',
        tags: ['analytics'],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: Type.Object(
          {
            status: Type.Union([Type.Literal('acknowledged'), Type.Literal('resolved')]),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: AnomalyBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request) => {
      const a = await options.anomalies.transition(request.params.id, {
        status: request.body.status,
        by: request.principal?.id ?? 'unknown',
        ...(request.body.note !== undefined ? { note: request.body.note } : {}),
      });
      return serialise(a);
    },
  );

  app.get(
    '/api/meters/:id/anomalies',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'anomalies of one meter (customers: their own meters)',
        tags: ['analytics'],
        params: Type.Object({ id: Type.String({ pattern: ID_PATTERN }) }),
        response: { 200: Type.Array(AnomalyBody), 404: ErrorBody },
      },
    },
    async (request) => {
      if (!(await mayRead(app, request, request.params.id))) {
        throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: request.params.id } });
      }
      return (await options.anomalies.list({ meterId: request.params.id })).map(serialise);
    },
  );

  app.get(
    '/api/meters/:id/comparison',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'consumption of a window against the same weekdays one year earlier (364 days back)',
        tags: ['analytics'],
        params: Type.Object({ id: Type.String({ pattern: ID_PATTERN }) }),
        querystring: Type.Object({
          obis: Type.Optional(Type.String({ pattern: OBIS_CODE_PATTERN })),
          window: Type.Optional(
            Type.Union([Type.Literal('rolling'), Type.Literal('billing_month')], { default: 'rolling' }),
          ),
          asOf: Type.Optional(
            Type.String({
              pattern: DAY_PATTERN,
              description: 'last day of the window (default yesterday, UTC)',
            }),
          ),
          meterClass: Type.Optional(Type.String({ maxLength: 40 })),
        }),
        response: { 200: ComparisonBody, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await mayRead(app, request, id))) {
        throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: id } });
      }
      const q = request.query;
      const now = options.now?.() ?? new Date();
      return await options.comparison.compare({
        meterId: id,
        obis: q.obis ?? options.defaultObis ?? '1-0:1.8.0',
        asOf: q.asOf ?? dayString(Math.floor(now.getTime() / 86_400_000) - 1),
        window: q.window ?? 'rolling',
        ...(q.meterClass ? { meterClass: q.meterClass } : {}),
      });
    },
  );
};
