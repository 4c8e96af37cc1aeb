import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ID_PATTERN } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError } from '../../platform/index.js';
import type { IssueCommand, MeterCommand, MeterCommandService } from './command-service.js';

export interface CommandsPluginOptions {
  service: MeterCommandService;
}

const ErrorBody = ErrorAnswerSchema;
const Params = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
const CommandBody = Type.Object({
  id: Type.String({ description: 'command id (the edge echoes it in its answer)' }),
  meterId: Type.String(),
  command: Type.String({ description: 'relay | set | read' }),
  action: Type.Optional(Type.String({ description: 'relay: open (disconnect) | close (reconnect)' })),
  field: Type.Optional(Type.String()),
  value: Type.Optional(Type.Union([Type.Number(), Type.Boolean()])),
  reason: Type.Optional(Type.String()),
  requestedBy: Type.String(),
  requestId: Type.Optional(Type.String()),
  status: Type.String({
    description:
      'pending | sent (at the broker) | not-sent | done | failed | expired | rejected (the edge’s answer) | unanswered (no answer past its expiry)',
  }),
  relay: Type.Optional(Type.String({ description: 'connected | disconnected, after a relay command done' })),
  detail: Type.Optional(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
  answeredAt: Type.Optional(Type.String({ format: 'date-time' })),
});
const Common = {
  reason: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'why (audited, sent to the edge)' }),
  ),
  requestId: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._-]{1,64}$',
      description: 'idempotency key: a retry returns the first command',
    }),
  ),
  ttlSeconds: Type.Optional(
    Type.Integer({
      minimum: 10,
      maximum: 86_400,
      description: 'the edge no longer executes it after (default 300)',
    }),
  ),
};
const Issued = { 200: CommandBody, 202: CommandBody, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const STAFF = { roles: ['operator'] as const };

/**
 * Commands from the centre (issue 20 §3) for operators: open/close the relay, write a writable
 * field, read now. Each answers 202 with the stored command (its status `sent` once the broker has
 * it), 200 with the first command on a retry with the same `requestId`; the edge's outcome arrives
 * later and is read back with `GET /api/meters/:id/commands/:commandId`.
 */
export const commandsPlugin: FastifyPluginAsyncTypebox<CommandsPluginOptions> = async (app, options) => {
  const { service } = options;
  /** One command from a request: who asked (audited), the common options, 202 new / 200 retried. */
  const issue = async (
    request: Pick<FastifyRequest, 'principal'> & { params: { id: string }; body: unknown },
    reply: { code(n: number): unknown },
    what: Pick<IssueCommand, 'command' | 'action' | 'field' | 'value'>,
  ): Promise<MeterCommand> => {
    const b = (request.body ?? {}) as { reason?: string; requestId?: string; ttlSeconds?: number };
    const r = await service.issue({
      meterId: request.params.id,
      ...what,
      requestedBy: request.principal?.id ?? 'unknown',
      ...(b.reason ? { reason: b.reason } : {}),
      ...(b.requestId ? { requestId: b.requestId } : {}),
      ...(b.ttlSeconds ? { ttlSeconds: b.ttlSeconds } : {}),
    });
    reply.code(r.created ? 202 : 200);
    return r.command;
  };

  app.post(
    '/api/meters/:id/relay',
    {
      config: STAFF,
      schema: {
        summary:
          'open (disconnect) or close (reconnect) the meter’s relay; the edge answers with the outcome',
        tags: ['commands'],
        params: Params,
        body: Type.Object(
          { state: Type.Union([Type.Literal('open'), Type.Literal('close')]), ...Common },
          { additionalProperties: false },
        ),
        response: Issued,
      },
    },
    async (request, reply) => issue(request, reply, { command: 'relay', action: request.body.state }),
  );

  app.post(
    '/api/meters/:id/settings',
    {
      config: STAFF,
      schema: {
        summary: 'write a writable field of the meter’s model (cmd/set)',
        tags: ['commands'],
        params: Params,
        body: Type.Object(
          {
            field: Type.String({
              pattern: '^[A-Za-z0-9][A-Za-z0-9:._*-]{0,63}$',
              description: 'OBIS code or name',
            }),
            value: Type.Union([Type.Number(), Type.Boolean()]),
            ...Common,
          },
          { additionalProperties: false },
        ),
        response: Issued,
      },
    },
    async (request, reply) =>
      issue(request, reply, { command: 'set', field: request.body.field, value: request.body.value }),
  );

  app.post(
    '/api/meters/:id/read-now',
    {
      config: STAFF,
      schema: {
        summary: 'ask the edge to read the meter now (cmd/read); the reading arrives as usual',
        tags: ['commands'],
        params: Params,
        body: Type.Object(Common, { additionalProperties: false }),
        response: Issued,
      },
    },
    async (request, reply) => issue(request, reply, { command: 'read' }),
  );

  app.get(
    '/api/meters/:id/commands',
    {
      config: STAFF,
      schema: {
        summary: 'commands sent to the meter, newest first, with the relay state the meter last reported',
        tags: ['commands'],
        params: Params,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: {
          200: Type.Object({
            meterId: Type.String(),
            relay: Type.Optional(Type.String({ description: 'connected | disconnected' })),
            relayAt: Type.Optional(Type.String({ format: 'date-time' })),
            relayCause: Type.Optional(
              Type.String({
                description: 'meter (its own relay event) or the id of the command that set it',
              }),
            ),
            commands: Type.Array(CommandBody),
          }),
          400: ErrorBody,
        },
      },
    },
    async (request) => {
      const id = request.params.id;
      const [commands, relay] = await Promise.all([
        service.list(id, request.query.limit ?? 50),
        service.relayState(id),
      ]);
      return {
        meterId: id,
        ...(relay ? { relay: relay.relay, relayAt: relay.at, relayCause: relay.cause } : {}),
        commands,
      };
    },
  );

  app.get(
    '/api/meters/:id/commands/:commandId',
    {
      config: STAFF,
      schema: {
        summary: 'one command with its outcome and audit trail',
        tags: ['commands'],
        params: Type.Object({
          id: Type.String({ pattern: ID_PATTERN }),
          commandId: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }),
        }),
        response: {
          200: Type.Object({
            command: CommandBody,
            trail: Type.Array(
              Type.Object({
                at: Type.String({ format: 'date-time' }),
                step: Type.String(),
                actor: Type.String(),
                detail: Type.Optional(Type.String()),
              }),
            ),
          }),
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const { id, commandId } = request.params;
      const command = await service.get(id, commandId);
      if (!command)
        throw new GatewayError('MG_ERR_COMMAND_NOT_FOUND', { params: { meterId: id, commandId } });
      return { command, trail: await service.trail(commandId) };
    },
  );
};
