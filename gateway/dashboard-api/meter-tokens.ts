// Brings the OpenAPI schema keys (tags, summary) into FastifySchema.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../auth/index.js';
import type { SqlExecutor } from '../db/index.js';
import { DashboardApiErrorCodes } from './errors.js';

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
export function registerMeterTokens(app: FastifyInstance, db: SqlExecutor): void {
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
        response: { 200: Type.Object({ meterId: Type.String(), tokens: Type.Array(TokenLine) }) },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const limit = (request.query as { limit?: number }).limit ?? 50;
      const known = await db.query('SELECT 1 FROM meters WHERE id = $1', [id]);
      if (!known.rows.length || !(await app.canSeeMeter(request.principal, id))) {
        throw new ApiError(404, DashboardApiErrorCodes.unknownMeter, `unknown meter ${JSON.stringify(id)}`);
      }
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
      return { meterId: id, tokens: rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() })) };
    },
  );
}
