import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ID_PATTERN } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError } from '../../platform/index.js';
import type { LiveHub, LiveMessage } from './live-hub.js';

export interface LivePluginOptions {
  hub: LiveHub;
  /** Comment line sent this often so proxies keep the stream open (ms, default 15 s). */
  heartbeatMs?: number;
  /** A client whose socket buffer grows past this is disconnected (it reconnects and re-reads state). */
  maxBufferedBytes?: number;
}

/**
 * GET /api/live — Server-Sent Events (WHATWG HTML §9.2): `event: reading` / `event: event`, data is
 * JSON. `?meter=a,b` filters; customers must name their own meters. Live data is best effort: a
 * client too slow to keep up is disconnected rather than buffered without bound (storage is not
 * affected; it happens before the stream).
 */
export const livePlugin: FastifyPluginAsyncTypebox<LivePluginOptions> = async (app, options) => {
  const maxBuffered = options.maxBufferedBytes ?? 1 << 20;
  app.get(
    '/api/live',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'live stream of readings and meter events (text/event-stream)',
        tags: ['live'],
        querystring: Type.Object(
          {
            meter: Type.Optional(
              Type.String({ pattern: `^${ID_PATTERN.slice(1, -1)}(,${ID_PATTERN.slice(1, -1)}){0,99}$` }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          403: ErrorAnswerSchema,
        },
      },
    },
    async (request, reply) => {
      const meters = request.query.meter ? request.query.meter.split(',') : undefined;
      const principal = request.principal;
      if (principal?.role === 'customer') {
        const allowed =
          meters !== undefined &&
          app.hasDecorator('canSeeMeter') &&
          (await Promise.all(meters.map((m) => app.canSeeMeter(principal, m)))).every(Boolean);
        if (!allowed) {
          // Customers must name meters of their own (?meter=).
          throw new GatewayError('MG_ERR_AUTH_FORBIDDEN', { params: { role: principal.role } });
        }
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(': metergate live\n\n');
      const send = (m: LiveMessage) => {
        if (raw.writableLength > maxBuffered) {
          raw.destroy();
          return;
        }
        raw.write(`event: ${m.type}\ndata: ${JSON.stringify({ meterId: m.meterId, ...m.data })}\n\n`);
      };
      const unsubscribe = options.hub.subscribe(send, meters);
      const heartbeat = setInterval(() => raw.write(': ping\n\n'), options.heartbeatMs ?? 15_000);
      const close = () => {
        clearInterval(heartbeat);
        unsubscribe();
      };
      raw.on('close', close);
      raw.on('error', close);
    },
  );
};
