import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ID_PATTERN, OBIS_CODE_PATTERN } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError, invalidRequest, requestLanguage } from '../../platform/index.js';
import { RegularisationBody, serialiseRegularisation } from '../estimation/index.js';
import type { SelfReading, SelfReadingService } from './self-reading-service.js';

export interface SelfReadingsPluginOptions {
  service: SelfReadingService;
  defaultObis?: string;
}

const ErrorBody = ErrorAnswerSchema;
const Params = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
const ReadingBody = Type.Object({
  id: Type.Integer(),
  meterId: Type.String(),
  obis: Type.String(),
  index: Type.Number(),
  readAt: Type.String({ format: 'date-time' }),
  status: Type.String({ description: 'accepted | refused' }),
  refusalCode: Type.Union([Type.String(), Type.Null()]),
  submittedBy: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});
/** The one error shape; `details` holds the refusal (its message in every language) and the stored reading. */
const RefusedBody = Type.Object({
  statusCode: Type.Literal(422),
  code: Type.String(),
  message: Type.String(),
  details: Type.Object({
    reason: Type.Object({
      code: Type.String(),
      message: Type.Object({ fr: Type.String(), ar: Type.String(), en: Type.String() }),
      detail: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
    }),
    reading: ReadingBody,
  }),
});

const serialise = (r: SelfReading) => ({
  ...r,
  readAt: r.readAt.toISOString(),
  createdAt: r.createdAt.toISOString(),
});

async function mayUse(app: FastifyInstance, request: FastifyRequest, meterId: string): Promise<void> {
  const p = request.principal;
  if (!p || p.role !== 'customer') return;
  if (app.hasDecorator('canSeeMeter') && (await app.canSeeMeter(p, meterId))) return;
  throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId } });
}

/** Self-readings ("Auto-Relevé"): the customer submits the index read off their meter. */
export const selfReadingsPlugin: FastifyPluginAsyncTypebox<SelfReadingsPluginOptions> = async (
  app,
  options,
) => {
  app.post(
    '/api/meters/:id/self-readings',
    {
      config: { roles: ['customer', 'operator'] },
      schema: {
        summary: 'submit the index read off the meter; refused with a reason when implausible',
        tags: ['self-readings'],
        params: Params,
        body: Type.Object(
          {
            index: Type.Number({ description: 'register value as displayed (kWh or m³)' }),
            readAt: Type.Optional(
              Type.String({ format: 'date-time', description: 'when it was read (default now)' }),
            ),
            obis: Type.Optional(Type.String({ pattern: OBIS_CODE_PATTERN })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ reading: ReadingBody, regularisation: Type.Optional(RegularisationBody) }),
          400: ErrorBody,
          404: ErrorBody,
          422: RefusedBody,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await mayUse(app, request, id);
      const readAt = request.body.readAt ? new Date(request.body.readAt) : undefined;
      if (readAt && Number.isNaN(readAt.getTime())) {
        throw invalidRequest({ field: 'body/readAt', reason: 'not a date-time' });
      }
      const r = await options.service.submit({
        meterId: id,
        obis: request.body.obis ?? options.defaultObis ?? '1-0:1.8.0',
        index: request.body.index,
        ...(readAt ? { readAt } : {}),
        submittedBy: request.principal?.id ?? 'unknown',
      });
      if (!r.ok) {
        return reply.code(422).send({
          statusCode: 422 as const,
          code: r.reason.code,
          message: r.reason.message[requestLanguage(request)],
          details: { reason: r.reason, reading: serialise(r.reading) },
        });
      }
      return reply.code(201).send({
        reading: serialise(r.reading),
        ...(r.regularisation ? { regularisation: serialiseRegularisation(r.regularisation) } : {}),
      });
    },
  );

  app.get(
    '/api/meters/:id/self-readings',
    {
      config: { roles: ['customer', 'operator'] },
      schema: {
        summary: 'self-readings of a meter (accepted and refused), newest first',
        tags: ['self-readings'],
        params: Params,
        response: { 200: Type.Array(ReadingBody), 404: ErrorBody },
      },
    },
    async (request) => {
      await mayUse(app, request, request.params.id);
      return (await options.service.list(request.params.id)).map(serialise);
    },
  );
};
