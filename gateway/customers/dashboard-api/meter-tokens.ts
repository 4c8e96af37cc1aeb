// Brings the OpenAPI schema keys (tags, summary) into FastifySchema.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../platform/index.js';
import type { SqlExecutor } from '../../platform/index.js';
import type { MeterStateTracker } from './meter-state.js';

const TokenLine = Type.Object({
  vendId: Type.String(),
  kind: Type.String({ description: 'purchase | advance | management | key-change' }),
  at: Type.String({ format: 'date-time' }),
  money: Type.Number(),
  units: Type.Number(),
  digits: Type.String({ description: '20-digit token as issued' }),
  tokenClass: Type.Integer(),
  status: Type.String({ description: 'issued | sent | accepted | rejected (meter feedback)' }),
  reason: Type.Union([Type.String(), Type.Null()]),
});

/**
 * `GET /api/meters/:id/tokens`: the meter's token history for the meter view (newest first), read
 * from the ledger's vends and tokens tables (VENDING owns them; this is a read-only view, the
 * same columns its statement uses). Operators see every meter, a customer only their own.
 */
export function registerMeterTokens(app: FastifyInstance, db: SqlExecutor, states?: MeterStateTracker): void {
  app.get(
    '/api/meters/:id/tokens',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        tags: ['vending'],
        summary: 'Token history of one meter',
        params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }) }),
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: {
          200: Type.Object({
            meterId: Type.String(),
            prepaid: Type.Boolean({ description: 'false for a postpaid meter (no token history)' }),
            tokens: Type.Array(TokenLine),
            credit: Type.Optional(Type.Number({ description: 'kWh left, as the meter last reported it' })),
            relay: Type.Optional(Type.String({ description: 'connected | disconnected' })),
            stateAt: Type.Optional(Type.String({ format: 'date-time' })),
          }),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const limit = (request.query as { limit?: number }).limit ?? 50;
      // The ledger registers the prepaid (STS) meters; a meter that only reports readings is
      // postpaid: an empty history that says so, not a 404 the page would count as a failure.
      const prepaid = (await db.query('SELECT 1 FROM meters WHERE id = $1', [id])).rows.length > 0;
      const known =
        prepaid ||
        (await db.query('SELECT 1 FROM meter_last_reading WHERE meter_id = $1', [id])).rows.length > 0;
      if (!known || !(await app.canSeeMeter(request.principal, id))) {
        throw new GatewayError('MG_ERR_METER_NOT_FOUND', { params: { meterId: id } });
      }
      if (!prepaid) return { meterId: id, prepaid: false, tokens: [] };
      const { rows } = await db.query<{
        vendId: string;
        kind: string;
        at: Date;
        money: number;
        units: number;
        digits: string;
        tokenClass: number;
        status: string;
        reason: string | null;
      }>(
        `SELECT v.id AS "vendId", v.kind, t.created_at AS "at", v.money, t.units, t.digits,
                t.token_class AS "tokenClass", t.status, t.reason
           FROM tokens t JOIN vends v ON v.id = t.vend_id
          WHERE t.meter_id = $1 ORDER BY t.created_at DESC, t.id DESC LIMIT $2`,
        [id, limit],
      );
      const state = states?.get(id);
      return {
        meterId: id,
        prepaid: true,
        tokens: rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
        ...(state?.credit !== undefined ? { credit: state.credit } : {}),
        ...(state?.relay ? { relay: state.relay } : {}),
        ...(state ? { stateAt: state.ts } : {}),
      };
    },
  );
}
