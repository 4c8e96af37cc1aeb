import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export const HealthReport = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    checks: Type.Record(
      Type.String(),
      Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) }),
    ),
    ingest: Type.Optional(
      Type.Object({
        received: Type.Number(),
        stored: Type.Number(),
        deadLettered: Type.Number(),
        storeErrors: Type.Number(),
        buffered: Type.Number(),
      }),
    ),
  },
  { $id: 'HealthReport' },
);
export type HealthReport = Static<typeof HealthReport>;

export interface HealthPluginOptions {
  report: () => Promise<HealthReport>;
}

/** GET /api/health (public): 200 when every check passes, 503 otherwise, same body. */
export const healthPlugin: FastifyPluginAsyncTypebox<HealthPluginOptions> = async (app, options) => {
  app.get(
    '/api/health',
    {
      config: { public: true },
      schema: {
        summary: 'liveness and dependency checks',
        tags: ['health'],
        response: { 200: HealthReport, 503: HealthReport },
      },
    },
    async (_request, reply) => {
      const report = await options.report();
      return reply.code(report.status === 'ok' ? 200 : 503).send(report);
    },
  );
};
