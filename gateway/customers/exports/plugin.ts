// Brings the OpenAPI schema keys (tags, summary) into FastifySchema.
import type {} from '@fastify/swagger';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorAnswerSchema, GatewayError, invalidRequest } from '../../platform/index.js';
import type { RollupStore } from '../../metering/index.js';
import { renderCsv } from './csv.js';
import { renderPdf } from './pdf.js';
import { EXPORT_FORMATS, EXPORT_LANGS, buildReport, reportFileName, type ExportFormat } from './report.js';
import { renderXlsx } from './xlsx.js';

export interface ExportsPluginOptions {
  rollups: Pick<RollupStore, 'dailySeries' | 'monthlySeries' | 'meterIds'>;
  /** Whether a meter exists (default: it has rollup rows). Unknown meters answer 404. */
  meterExists?: (meterId: string) => Promise<boolean>;
  /** The register exported (default active energy import, OBIS 1-0:1.8.0, kWh). */
  obis?: string;
  unit?: string;
  /** Longest window a request may ask for, in months (default 36: the rollup retention). */
  maxMonths?: number;
  now?: () => Date;
}

const Params = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
  format: Type.Union(EXPORT_FORMATS.map((f) => Type.Literal(f))),
});
const Query = Type.Object(
  {
    months: Type.Optional(Type.Integer({ minimum: 1, maximum: 120, default: 6 })),
    lang: Type.Optional(
      Type.Union(
        EXPORT_LANGS.map((l) => Type.Literal(l)),
        { default: 'fr' },
      ),
    ),
    detail: Type.Optional(
      Type.Union([Type.Literal('monthly'), Type.Literal('daily')], { default: 'monthly' }),
    ),
  },
  { additionalProperties: false },
);

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

/**
 * Customer self-service exports of the consumption history (the "télécharger en Excel / PDF" of
 * utilities' e-agencies): `GET /api/meters/:id/exports/consumption.{csv|xlsx|pdf}?months=6&lang=fr`.
 * Operators see every meter; a customer only their own (the auth plugin's `canSeeMeter`).
 */
async function exportsRoutes(app: FastifyInstance, options: ExportsPluginOptions): Promise<void> {
  const obis = options.obis ?? '1-0:1.8.0';
  const unit = options.unit ?? 'kWh';
  const maxMonths = options.maxMonths ?? 36;
  const exists =
    options.meterExists ?? (async (id: string) => (await options.rollups.meterIds()).includes(id));

  app.get<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>(
    '/api/meters/:id/exports/consumption.:format',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['exports'],
        summary: 'Consumption history of one meter as CSV, XLSX or PDF',
        params: Params,
        querystring: Query,
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }),
          '4xx': ErrorAnswerSchema,
        },
      },
    },
    async (request, reply) => {
      const { id, format } = request.params;
      const months = request.query.months ?? 6;
      const lang = request.query.lang ?? 'fr';
      if (months > maxMonths) {
        throw invalidRequest({ field: 'querystring/months', reason: `months must be at most ${maxMonths}` });
      }
      // Same answer for "not yours" and "does not exist": a customer cannot probe meter ids.
      const visible = app.canSeeMeter ? await app.canSeeMeter(request.principal, id) : true;
      if (!visible || !(await exists(id))) {
        throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: id } });
      }
      const report = await buildReport(options.rollups, {
        meterId: id,
        obis,
        unit,
        months,
        lang,
        now: options.now?.(),
      });
      const body =
        format === 'csv'
          ? renderCsv(report, request.query.detail ?? 'monthly')
          : format === 'xlsx'
            ? await renderXlsx(report)
            : await renderPdf(report);
      return reply
        .type(CONTENT_TYPES[format])
        .header('content-disposition', `attachment; filename="${reportFileName(report, format)}"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}

export const exportsPlugin = fp(exportsRoutes, {
  name: 'metergate-exports',
  fastify: '5.x',
  dependencies: ['metergate-auth'],
});
