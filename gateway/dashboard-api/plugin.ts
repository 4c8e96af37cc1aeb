// Brings the OpenAPI schema keys (tags, summary) into FastifySchema.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, AuthErrorCodes, ROLES } from '../auth/index.js';
import type { SqlExecutor } from '../db/index.js';
import { registerMeterTokens } from './meter-tokens.js';

const Session = Type.Object(
  {
    id: Type.String({ description: 'API key id or JWT subject (never the secret)' }),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    vendorId: Type.Optional(Type.String()),
    customerId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/**
 * Routes the dashboards need that no feature plugin serves. `GET /api/session`: who the presented
 * credentials belong to, so the dashboards pick the role's views after the API-key sign-in (no key
 * material). `GET /api/meters/:id/tokens` when a ledger is given.
 */
export interface DashboardApiPluginOptions {
  /** The ledger database; enables `GET /api/meters/:id/tokens` (the meter view's token history). */
  ledger?: SqlExecutor;
}

async function dashboardApi(app: FastifyInstance, options: DashboardApiPluginOptions): Promise<void> {
  if (options.ledger) registerMeterTokens(app, options.ledger);
  app.get(
    '/api/session',
    {
      config: { roles: ['admin', 'operator', 'vendor', 'customer'] },
      schema: { tags: ['session'], summary: 'The caller’s role and scope', response: { 200: Session } },
    },
    async (request) => {
      const p = request.principal;
      if (!p) throw new ApiError(401, AuthErrorCodes.unauthenticated, 'authentication required');
      return {
        id: p.id,
        role: p.role,
        ...(p.vendorId ? { vendorId: p.vendorId } : {}),
        ...(p.customerId ? { customerId: p.customerId } : {}),
      };
    },
  );
}

export const dashboardApiPlugin = fp(dashboardApi, {
  name: 'metergate-dashboard-api',
  fastify: '5.x',
  dependencies: ['metergate-auth'],
});
