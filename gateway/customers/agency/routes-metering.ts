import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getContract, getCustomer } from '../../billing/index.js';
import type { RollupStore, SelfReadingService, SqlAnomalyStore } from '../../metering/index.js';
import { GatewayError, requestLanguage, type SqlDatabase } from '../../platform/index.js';
import { agencyUser } from './guard.js';
import { errorAnswers } from './schemas.js';

/** Metering's services the agency shows to the signed-in customer (handed over by the composition root). */
export interface AgencyMetering {
  rollups?: Pick<RollupStore, 'monthlySeries'>;
  selfReadings?: Pick<SelfReadingService, 'submit' | 'list'>;
  anomalies?: Pick<SqlAnomalyStore, 'list'>;
}

const MeterParam = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
const tags = ['agency'];
const session = { public: true, agency: 'session' as const };

/**
 * Consumption, self-reading (auto-relevé) and over-consumption alerts of the customer's own meters,
 * with the agency's one sign-in: the same services as the customer views, scoped to the meters of
 * the customer's contracts (another meter answers 404).
 */
export function meteringRoutes(
  app: FastifyInstance,
  d: { db: SqlDatabase; metering: AgencyMetering; now: () => Date },
): void {
  const { rollups, selfReadings, anomalies } = d.metering;

  async function myMeters(req: FastifyRequest) {
    const customer = await getCustomer(d.db, agencyUser(req).customerId);
    const out = [];
    for (const c of customer.contracts) {
      const contract = await getContract(d.db, c.number);
      const obis = contract?.obis ?? (c.service === 'water' ? '8-0:1.0.0' : '1-0:1.8.0');
      out.push({
        meter: c.meter,
        contract: c.number,
        service: c.service,
        obis,
        unit: c.service === 'water' ? 'm³' : 'kWh',
      });
    }
    return out;
  }
  async function myMeter(req: FastifyRequest, meter: string) {
    const m = (await myMeters(req)).find((x) => x.meter === meter);
    if (!m) throw new GatewayError('MG_ERR_AGENCY_NOT_FOUND', { params: { what: meter } });
    return m;
  }

  app.get(
    '/api/agency/meters',
    {
      config: session,
      schema: {
        tags,
        summary: 'The meters of my contracts',
        response: {
          200: Type.Object({
            meters: Type.Array(
              Type.Object({
                meter: Type.String(),
                contract: Type.String(),
                service: Type.String(),
                obis: Type.String(),
                unit: Type.String(),
              }),
            ),
          }),
          ...errorAnswers,
        },
      },
    },
    async (req) => ({ meters: await myMeters(req) }),
  );

  if (rollups) {
    app.get(
      '/api/agency/consumption',
      {
        config: session,
        schema: {
          tags,
          summary: 'Monthly consumption of one of my meters over the last months (default 12)',
          querystring: Type.Object(
            { meter: MeterParam, months: Type.Optional(Type.Integer({ minimum: 1, maximum: 36 })) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              meter: Type.String(),
              unit: Type.String(),
              months: Type.Array(
                Type.Object({
                  month: Type.String(),
                  consumption: Type.Number(),
                  days: Type.Integer(),
                  estimatedDays: Type.Integer(),
                }),
              ),
            }),
            ...errorAnswers,
          },
        },
      },
      async (req) => {
        const q = req.query as { meter: string; months?: number };
        const m = await myMeter(req, q.meter);
        const today = d.now();
        const from = new Date(
          Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - ((q.months ?? 12) - 1), 1),
        );
        const series = await rollups.monthlySeries({ meterId: m.meter, obis: m.obis, from, to: today });
        return {
          meter: m.meter,
          unit: m.unit,
          months: series.map((p) => ({
            month: p.month,
            consumption: Math.round(p.consumption * 1000) / 1000, // kWh or m³ to the litre/Wh
            days: p.days,
            estimatedDays: p.estimatedDays,
          })),
        };
      },
    );
  }

  if (selfReadings) {
    const Reading = Type.Object({
      index: Type.Number(),
      readAt: Type.String(),
      status: Type.String(),
      refusalCode: Type.Union([Type.String(), Type.Null()]),
    });
    app.get(
      '/api/agency/self-readings',
      {
        config: session,
        schema: {
          tags,
          summary: 'My self-readings (auto-relevé) of one meter, newest first',
          querystring: Type.Object({ meter: MeterParam }, { additionalProperties: false }),
          response: { 200: Type.Object({ readings: Type.Array(Reading) }), ...errorAnswers },
        },
      },
      async (req) => {
        const m = await myMeter(req, (req.query as { meter: string }).meter);
        const list = await selfReadings.list(m.meter);
        return {
          readings: list.map((r) => ({
            index: r.index,
            readAt: new Date(r.readAt).toISOString(),
            status: r.status,
            refusalCode: r.refusalCode,
          })),
        };
      },
    );
    app.post(
      '/api/agency/self-readings',
      {
        config: session,
        schema: {
          tags,
          summary: 'Send the index read off my meter (auto-relevé); refused with the reason when implausible',
          body: Type.Object(
            { meter: MeterParam, index: Type.Number({ minimum: 0, maximum: 1e12 }) },
            { additionalProperties: false },
          ),
          response: { 201: Reading, ...errorAnswers },
        },
      },
      async (req, reply) => {
        const body = req.body as { meter: string; index: number };
        const m = await myMeter(req, body.meter);
        const r = await selfReadings.submit({
          meterId: m.meter,
          obis: m.obis,
          index: body.index,
          submittedBy: req.principal!.id,
        });
        if (!r.ok) {
          return reply
            .code(422)
            .send({ statusCode: 422, code: r.reason.code, message: r.reason.message[requestLanguage(req)] });
        }
        return reply.code(201).send({
          index: r.reading.index,
          readAt: new Date(r.reading.readAt).toISOString(),
          status: r.reading.status,
          refusalCode: r.reading.refusalCode,
        });
      },
    );
  }

  if (anomalies) {
    app.get(
      '/api/agency/alerts',
      {
        config: session,
        schema: {
          tags,
          summary: 'Over-consumption and other alerts on my meters (prior-year comparison), newest first',
          response: {
            200: Type.Object({
              alerts: Type.Array(
                Type.Object({
                  id: Type.Integer(),
                  meter: Type.String(),
                  kind: Type.String(),
                  status: Type.String(),
                  firstDay: Type.String(),
                  lastDay: Type.String(),
                }),
              ),
            }),
            ...errorAnswers,
          },
        },
      },
      async (req) => {
        const meters = (await myMeters(req)).map((m) => m.meter);
        const list = meters.length ? await anomalies.list({ meterIds: meters, limit: 50 }) : [];
        return {
          alerts: list.map((a) => ({
            id: a.id,
            meter: a.meterId,
            kind: a.kind,
            status: a.status,
            firstDay: a.firstDay,
            lastDay: a.lastDay,
          })),
        };
      },
    );
  }
}
