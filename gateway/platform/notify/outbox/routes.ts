import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorAnswerSchema, GatewayError } from '../../errors/index.js';
import type { MessageOutbox } from './message-outbox.js';

export interface OutboxPluginOptions {
  outbox: MessageOutbox;
}

const ErrorAnswer = ErrorAnswerSchema;
const Channel = Type.Union([Type.Literal('sms'), Type.Literal('email'), Type.Literal('webhook')]);
const Status = Type.Union([
  Type.Literal('queued'),
  Type.Literal('sent'),
  Type.Literal('failed'),
  Type.Literal('outbox-only'),
]);
const Item = {
  id: Type.String(),
  channel: Channel,
  to: Type.String(),
  template: Type.String(),
  text: Type.String(),
  status: Status,
  createdAt: Type.String({ format: 'date-time' }),
};

/** The operators' view of the outbox: what was sent or tried, to whom, with the rendered text. */
export const outboxPlugin: FastifyPluginAsyncTypebox<OutboxPluginOptions> = async (app, options) => {
  const outbox = options.outbox;
  app.get(
    '/api/outbox',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'messages sent or tried (SMS, e-mail, webhook) with their rendered text, newest first',
        tags: ['notifications'],
        querystring: Type.Object(
          {
            to: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
            customerId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            channel: Type.Optional(Channel),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ messages: Type.Array(Type.Object(Item, { additionalProperties: false })) }),
          400: ErrorAnswer,
        },
      },
    },
    async (request) => ({ messages: await outbox.list(request.query) }),
  );

  app.get(
    '/api/outbox/:id',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'one outbox message: subject, language, delivery status and reason, attachments',
        tags: ['notifications'],
        params: Type.Object({ id: Type.String({ pattern: '^msg_[0-9a-f-]{36}$' }) }),
        response: {
          200: Type.Object({
            ...Item,
            language: Type.String(),
            subject: Type.Union([Type.String(), Type.Null()]),
            reason: Type.Union([Type.String(), Type.Null()]),
            attempts: Type.Integer(),
            customerId: Type.Union([Type.String(), Type.Null()]),
            sentAt: Type.Union([Type.String(), Type.Null()]),
            attachments: Type.Array(
              Type.Object({ filename: Type.String(), contentType: Type.String(), size: Type.Integer() }),
            ),
          }),
          400: ErrorAnswer,
          404: ErrorAnswer,
        },
      },
    },
    async (request) => {
      const m = await outbox.get(request.params.id);
      if (!m) throw new GatewayError('MG_ERR_OUTBOX_NOT_FOUND', { params: { id: request.params.id } });
      return m;
    },
  );
};
