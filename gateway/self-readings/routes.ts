import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ID_PATTERN, OBIS_CODE_PATTERN } from '../../protocol/index.js';
import { ApiError } from '../auth/index.js';
import { RegularisationBody, serialiseRegularisation } from '../estimation/index.js';
import type { SelfReading, SelfReadingService } from './self-reading-service.js';

export interface SelfReadingsPluginOptions {
  service: SelfReadingService;
  defaultObis?: string;
}

const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
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
const RefusedBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
  reason: Type.Object({
    code: Type.String(),
    message: Type.Object({ fr: Type.String(), en: Type.String() }),
    detail: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
  }),
  reading: ReadingBody,
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
  throw new ApiError(404, 'MG_ERR_METER_NOT_FOUND', `no meter ${meterId} (or not yours)`);
}

/** `fr` unless the caller prefers English (Accept-Language). */
function language(request: FastifyRequest): 'fr' | 'en' {
  const h = String(request.headers['accept-language'] ?? '').toLowerCase();
  return /^\s*en\b/.test(h) ? 'en' : 'fr';
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
        throw new ApiError(400, 'MG_ERR_HTTP_VALIDATION', 'body/readAt is not a date-time');
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
          error: { code: r.reason.code, message: r.reason.message[language(request)] },
          reason: r.reason,
          reading: serialise(r.reading),
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
