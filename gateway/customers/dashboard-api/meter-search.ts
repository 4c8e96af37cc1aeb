// Brings the OpenAPI schema keys (tags, summary) into FastifySchema.
import type {} from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { SqlExecutor } from '../../platform/index.js';

/** `%`, `_` and `\` typed by the user are matched literally (LIKE escape). */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * `GET /api/ledger/meters?search=`: registered meters whose number contains the typed part (at
 * least 2 characters), for the vending console — a vendor does not list the fleet but finds the
 * customer's meter from the digits the customer reads out. At most 20 (the ledger's
 * meters are the prepaid ones: postpaid meters are never sold to).
 */
export function registerMeterSearch(app: FastifyInstance, db: SqlExecutor): void {
  app.get(
    '/api/ledger/meters',
    {
      config: { roles: ['operator', 'vendor'] },
      schema: {
        tags: ['registry'],
        summary: 'Registered meters whose number contains the given part (vending console search)',
        querystring: Type.Object(
          { search: Type.String({ minLength: 2, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ meters: Type.Array(Type.Object({ id: Type.String() })) }),
        },
      },
    },
    async (request) => {
      const { search } = request.query as { search: string };
      const { rows } = await db.query<{ id: string }>(
        `SELECT id FROM meters WHERE id ILIKE $1 ESCAPE '\\' ORDER BY id LIMIT 20`,
        [likeContains(search)],
      );
      return { meters: rows };
    },
  );
}
