// Brings the OpenAPI schema keys (tags, summary) into FastifySchema.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { GatewayError, ROLES } from '../../platform/index.js';
import type { MessageBus, SqlExecutor } from '../../platform/index.js';
import type { TopicScheme } from '../../../protocol/index.js';
import { registerMeterSearch } from './meter-search.js';
import { MeterStateTracker } from './meter-state.js';
import { registerMeterTokens } from './meter-tokens.js';

const Session = Type.Object(
  {
    id: Type.String({ description: 'API key id or JWT subject (never the secret)' }),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    vendorId: Type.Optional(Type.String()),
    customerId: Type.Optional(Type.String()),
    readerId: Type.Optional(
      Type.String({ description: 'role reader: the reader whose rounds the key reaches' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Routes the dashboards need that no feature plugin serves. `GET /api/session`: who the presented
 * credentials belong to, so the dashboards pick the role's views after the API-key sign-in (no key
 * material). `GET /api/meters/:id/tokens` (with the meter's reported credit when a bus is given) and
 * `GET /api/ledger/meters?search=` when a ledger is given.
 */
export interface DashboardApiPluginOptions {
  /** The ledger database; enables `GET /api/meters/:id/tokens` (the meter view's token history). */
  ledger?: SqlExecutor;
  /** The message bus: the meters' retained state (prepaid credit, relay) for the credit tile. */
  bus?: Pick<MessageBus, 'subscribe'>;
  topics?: TopicScheme;
}

async function dashboardApi(app: FastifyInstance, options: DashboardApiPluginOptions): Promise<void> {
  let states: MeterStateTracker | undefined;
  if (options.bus) {
    states = new MeterStateTracker();
    await states.start(options.bus, options.topics);
  }
  if (options.ledger) {
    registerMeterTokens(app, options.ledger, states);
    registerMeterSearch(app, options.ledger);
  }
  app.get(
    '/api/session',
    {
      config: { roles: ['admin', 'operator', 'vendor', 'customer', 'reader'] },
      schema: { tags: ['session'], summary: 'The caller’s role and scope', response: { 200: Session } },
    },
    async (request) => {
      const p = request.principal;
      if (!p) throw new GatewayError('MG_ERR_AUTH_UNAUTHENTICATED');
      return {
        id: p.id,
        role: p.role,
        ...(p.vendorId ? { vendorId: p.vendorId } : {}),
        ...(p.customerId ? { customerId: p.customerId } : {}),
        ...(p.readerId ? { readerId: p.readerId } : {}),
      };
    },
  );
}

export const dashboardApiPlugin = fp(dashboardApi, {
  name: 'metergate-dashboard-api',
  fastify: '5.x',
  dependencies: ['metergate-auth'],
});
