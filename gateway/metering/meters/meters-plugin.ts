import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ID_PATTERN,
  isIsoDay,
  lookupObis,
  OBIS_CODE_PATTERN,
  parseIsoDate,
} from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError, invalidRequest } from '../../platform/index.js';
import type { DeadLetterStore } from '../ingest/index.js';
import { RESOLUTIONS, type LastReadingStore, type ReadingStore } from '../readings/index.js';
import type { RollupStore } from '../rollups/index.js';

export interface MetersPluginOptions {
  readings: ReadingStore;
  lastReadings: LastReadingStore;
  rollups: RollupStore;
  deadLetters?: DeadLetterStore;
}

const ErrorBody = ErrorAnswerSchema;
const Values = Type.Record(Type.String(), Type.Number(), { description: 'numbers keyed by OBIS code' });
const LastReading = Type.Object({
  ts: Type.String({ format: 'date-time' }),
  values: Values,
  seq: Type.Integer(),
  quality: Type.String(),
});
const MeterItem = Type.Object({
  id: Type.String(),
  lastReading: Type.Union([LastReading, Type.Null()]),
  firstSeen: Type.String({ format: 'date-time' }),
});
const MeterParams = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
const DAY_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';
const DAY_MS = 86_400_000;

const notFound = (meterId: string) => new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId } });

/** A strict ISO 8601 date-time from the query (2026-02-30 is refused, never rolled over). */
function queryTime(value: string | undefined, field: string, fallback: Date): Date {
  if (value === undefined) return fallback;
  const d = parseIsoDate(value);
  if (!d) throw invalidRequest({ field: `querystring/${field}`, reason: 'not an ISO 8601 date-time' });
  return d;
}

async function mayRead(app: FastifyInstance, request: FastifyRequest, meterId: string): Promise<boolean> {
  const p = request.principal;
  if (!p || p.role !== 'customer') return true;
  return app.hasDecorator('canSeeMeter') ? app.canSeeMeter(p, meterId) : false;
}

/**
 * The meters read API: list with live state, raw or bucketed readings, daily/monthly consumption.
 * Staff (admin, operator) see every meter; customers only their own (canSeeMeter, else 404).
 */
export const metersPlugin: FastifyPluginAsyncTypebox<MetersPluginOptions> = async (app, options) => {
  app.get(
    '/api/meters',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'every meter seen, with its last live reading',
        tags: ['meters'],
        response: { 200: Type.Array(MeterItem) },
      },
    },
    async (request) => {
      const meters = await options.lastReadings.list();
      const visible = [];
      for (const m of meters) if (await mayRead(app, request, m.id)) visible.push(m);
      return visible.map((m) => ({
        id: m.id,
        firstSeen: m.firstSeen.toISOString(),
        lastReading: m.lastReading && { ...m.lastReading, ts: m.lastReading.ts.toISOString() },
      }));
    },
  );

  app.get(
    '/api/meters/:id/readings',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'readings of one meter: raw, or bucketed (registers: newest value, others: mean)',
        tags: ['meters'],
        params: MeterParams,
        querystring: Type.Object(
          {
            from: Type.Optional(
              Type.String({ format: 'date-time', description: 'inclusive; default to − 24 h' }),
            ),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive; default now' })),
            resolution: Type.Optional(
              Type.Union(
                RESOLUTIONS.map((r) => Type.Literal(r)),
                { default: 'raw' },
              ),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            meterId: Type.String(),
            resolution: Type.String(),
            readings: Type.Array(
              Type.Object({
                ts: Type.String({ format: 'date-time' }),
                values: Values,
                seq: Type.Optional(Type.Integer()),
                quality: Type.Optional(Type.String()),
                count: Type.Optional(Type.Integer()),
              }),
            ),
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await mayRead(app, request, id))) throw notFound(id);
      const to = queryTime(request.query.to, 'to', new Date());
      const from = queryTime(request.query.from, 'from', new Date(to.getTime() - DAY_MS));
      if (!(from < to)) throw invalidRequest({ field: 'querystring/from', reason: 'from must be before to' });
      const resolution = request.query.resolution ?? 'raw';
      const rows = await options.readings.readings({
        meterId: id,
        from,
        to,
        resolution,
        limit: request.query.limit,
      });
      return {
        meterId: id,
        resolution,
        readings: rows.map((r) => ({ ...r, ts: r.ts.toISOString() })),
      };
    },
  );

  app.get(
    '/api/meters/:id/consumption',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'consumption per day or month from the daily rollups',
        tags: ['meters'],
        params: MeterParams,
        querystring: Type.Object(
          {
            period: Type.Optional(
              Type.Union([Type.Literal('day'), Type.Literal('month')], { default: 'day' }),
            ),
            from: Type.Optional(
              Type.String({ pattern: DAY_PATTERN, description: 'first day (UTC), default to − 30 days' }),
            ),
            to: Type.Optional(
              Type.String({ pattern: DAY_PATTERN, description: 'last day inclusive, default today' }),
            ),
            obis: Type.Optional(Type.String({ pattern: OBIS_CODE_PATTERN, default: '1-0:1.8.0' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            meterId: Type.String(),
            obis: Type.String(),
            unit: Type.String(),
            period: Type.String(),
            series: Type.Array(
              Type.Object({
                period: Type.String({ description: 'YYYY-MM-DD or YYYY-MM' }),
                consumption: Type.Number(),
                quality: Type.Optional(Type.String()),
                days: Type.Optional(Type.Integer()),
                estimatedDays: Type.Optional(Type.Integer()),
              }),
            ),
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await mayRead(app, request, id))) throw notFound(id);
      const obis = request.query.obis ?? '1-0:1.8.0';
      const entry = lookupObis(obis);
      if (!entry || entry.kind !== 'register') {
        throw invalidRequest({ field: 'querystring/obis', reason: `${obis} is not a consumption register` });
      }
      const to = request.query.to ?? new Date().toISOString().slice(0, 10);
      const toMs = isIsoDay(to) ? Date.parse(to) : Date.now();
      const from = request.query.from ?? new Date(toMs - 30 * DAY_MS).toISOString().slice(0, 10);
      if (!isIsoDay(from) || !isIsoDay(to) || from > to) {
        throw invalidRequest(
          ...(['from', 'to'] as const)
            .filter((f) => !isIsoDay(f === 'from' ? from : to))
            .map((f) => ({ field: `querystring/${f}`, reason: 'not a calendar day YYYY-MM-DD' })),
          ...(isIsoDay(from) && isIsoDay(to)
            ? [{ field: 'querystring/from', reason: 'from must be <= to' }]
            : []),
        );
      }
      const period = request.query.period ?? 'day';
      const q = { meterId: id, obis, from, to };
      const series =
        period === 'day'
          ? (await options.rollups.dailySeries(q)).map((d) => ({
              period: d.day,
              consumption: d.consumption,
              quality: d.quality,
            }))
          : (await options.rollups.monthlySeries(q)).map((m) => ({
              period: m.month,
              consumption: m.consumption,
              days: m.days,
              estimatedDays: m.estimatedDays,
            }));
      return { meterId: id, obis, unit: entry.unit, period, series };
    },
  );

  if (options.deadLetters) {
    const deadLetters = options.deadLetters;
    app.get(
      '/api/ingest/dead-letters',
      {
        config: { roles: [] },
        schema: {
          summary: 'newest rejected ingest messages (admin)',
          tags: ['ingest'],
          querystring: Type.Object(
            { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Array(
              Type.Object({
                id: Type.Integer(),
                receivedAt: Type.String({ format: 'date-time' }),
                topic: Type.String(),
                code: Type.String(),
                reason: Type.String(),
                payload: Type.String(),
                payloadBytes: Type.Integer(),
              }),
            ),
          },
        },
      },
      async (request) =>
        (await deadLetters.recent(request.query.limit ?? 100)).map((d) => ({
          ...d,
          receivedAt: d.receivedAt.toISOString(),
        })),
    );
  }
};
