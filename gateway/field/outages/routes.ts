import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { parseIsoDate } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError, invalidRequest, type SqlExecutor } from '../../platform/index.js';
import { parseArea } from '../area.js';
import { monthlyReliability, reliabilityCsv } from '../reliability/monthly.js';
import { areaReliability } from '../reliability/reliability.js';
import type { OutageStore } from './outage-store.js';

/** Cuts the power of these simulated meters for `seconds` (the demo's fleet). */
export type PowerCut = (meters: readonly string[], seconds: number) => Promise<number> | number;

export interface OutagesPluginOptions {
  db: SqlExecutor;
  outages: OutageStore;
  /** Set when the gateway runs the simulated fleet (the demo). */
  powerCut: () => PowerCut | undefined;
}

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const OutageBody = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('closed')]),
  startedAt: Type.String({ format: 'date-time' }),
  endedAt: Nullable(Type.String({ format: 'date-time' })),
  transformer: Type.String(),
  feeder: Nullable(Type.String()),
  meters: Type.Array(Type.String()),
  customers: Type.Array(Type.String()),
});
const MAX_FAULT_SECONDS = 86_400;

function queryDate(value: string | undefined, field: string, fallback: Date): Date {
  if (value === undefined) return fallback;
  const d =
    parseIsoDate(value) ??
    (/^\d{4}-\d{2}-\d{2}$/.test(value) ? parseIsoDate(`${value}T00:00:00Z`) : undefined);
  if (!d)
    throw invalidRequest({ field: `querystring/${field}`, reason: 'not an ISO 8601 date or date-time' });
  return d;
}

/** Outage incidents, the reliability indices they make, and the demo's fault injection. */
export const outagesPlugin: FastifyPluginAsyncTypebox<OutagesPluginOptions> = async (app, options) => {
  app.get(
    '/api/outages',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'outage incidents (meters behind a transformer silent together), newest first',
        tags: ['field'],
        querystring: Type.Object(
          { status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ outages: Type.Array(OutageBody) }), 400: ErrorAnswerSchema },
      },
    },
    async (request) => ({
      outages: await options.outages.list(request.query.status ? { status: request.query.status } : {}),
    }),
  );

  app.get(
    '/api/outages/:id',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'one outage incident, with the agency’s outage claims linked to it',
        tags: ['field'],
        params: Type.Object({ id: Type.String({ maxLength: 20 }) }),
        response: {
          200: Type.Composite([
            OutageBody,
            Type.Object({
              claims: Type.Array(Type.String(), { description: 'agency outage claims linked' }),
            }),
          ]),
          404: ErrorAnswerSchema,
        },
      },
    },
    async (request) => {
      const o = await options.outages.get(request.params.id);
      if (!o) throw new GatewayError('MG_ERR_FIELD_OUTAGE_NOT_FOUND', { params: { id: request.params.id } });
      return { ...o, claims: await options.outages.claims(o) };
    },
  );

  app.get(
    '/api/reliability',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'SAIDI, SAIFI, CAIDI (IEEE 1366: sustained > 3 min; momentary apart) over [from, to) for an area',
        tags: ['field'],
        querystring: Type.Object(
          {
            from: Type.Optional(
              Type.String({ maxLength: 40, description: 'default: start of this month (UTC)' }),
            ),
            to: Type.Optional(Type.String({ maxLength: 40, description: 'exclusive; default now' })),
            area: Type.Optional(
              Type.String({
                maxLength: 220,
                description: 'commune:NAME, feeder:ID or transformer:ID; none = all',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            saidiMinutes: Type.Number(),
            saifi: Type.Number(),
            caidiMinutes: Type.Number(),
            customersServed: Type.Integer(),
            interruptions: Type.Integer(),
            momentaryInterruptions: Type.Integer(),
            maifi: Type.Number(),
          }),
          400: ErrorAnswerSchema,
        },
      },
    },
    async (request) => {
      const now = new Date();
      const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const to = queryDate(request.query.to, 'to', now);
      const from = queryDate(request.query.from, 'from', monthStart);
      if (!(from < to)) throw invalidRequest({ field: 'querystring/from', reason: 'from must be before to' });
      return areaReliability(options.db, parseArea(request.query.area), { from, to });
    },
  );

  app.get(
    '/api/reliability/monthly',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'SAIDI, SAIFI, CAIDI month by month for an area (JSON, or CSV with format=csv)',
        tags: ['field'],
        querystring: Type.Object(
          {
            from: Type.String({ maxLength: 7, description: 'first month YYYY-MM' }),
            to: Type.String({ maxLength: 7, description: 'last month YYYY-MM (at most 36 months)' }),
            area: Type.Optional(Type.String({ maxLength: 220 })),
            format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Union([
            Type.Object({
              months: Type.Array(
                Type.Object({
                  month: Type.String(),
                  saidiMinutes: Type.Number(),
                  saifi: Type.Number(),
                  caidiMinutes: Type.Number(),
                  customersServed: Type.Integer(),
                  interruptions: Type.Integer(),
                  momentaryInterruptions: Type.Integer(),
                  maifi: Type.Number(),
                }),
              ),
            }),
            Type.String({ description: 'text/csv' }),
          ]),
          400: ErrorAnswerSchema,
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const months = await monthlyReliability(options.db, parseArea(q.area), q.from, q.to);
      if (q.format !== 'csv') return { months };
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="reliability-${q.from}-${q.to}.csv"`)
        .send(reliabilityCsv(months));
    },
  );

  app.post(
    '/api/simulator/faults',
    {
      config: { roles: [] },
      schema: {
        summary: 'cut the power of a transformer’s simulated meters for a while (demo only; admin)',
        tags: ['field'],
        body: Type.Object(
          {
            kind: Type.Literal('outage'),
            transformer: Type.String({ maxLength: 64 }),
            seconds: Type.Integer({ minimum: 1, maximum: MAX_FAULT_SECONDS }),
          },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            kind: Type.Literal('outage'),
            transformer: Type.String(),
            meters: Type.Integer(),
            seconds: Type.Integer(),
          }),
          400: ErrorAnswerSchema,
          404: ErrorAnswerSchema,
          409: ErrorAnswerSchema,
        },
      },
    },
    async (request, reply) => {
      const cut = options.powerCut();
      if (!cut) throw new GatewayError('MG_ERR_FIELD_NO_SIMULATOR');
      const { transformer, seconds } = request.body;
      const { rows } = await options.db.query<{ meter: string }>(
        'SELECT meter_id AS meter FROM field_points WHERE transformer_id = $1 ORDER BY meter_id',
        [transformer],
      );
      if (!rows.length)
        throw new GatewayError('MG_ERR_FIELD_UNKNOWN_TRANSFORMER', { params: { transformer } });
      const meters = await cut(
        rows.map((r) => r.meter),
        seconds,
      );
      return reply.code(202).send({ kind: 'outage' as const, transformer, meters, seconds });
    },
  );
};
