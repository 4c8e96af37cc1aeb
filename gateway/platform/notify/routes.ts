import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ID_PATTERN } from '../../../protocol/index.js';
import { ErrorAnswerSchema, GatewayError } from '../errors/index.js';
import '../auth/errors.js';
import type { ChannelName } from './channels/channel.js';
import './errors.js';
import type { Notifier } from './notifier.js';
import type { Language, NotificationKind } from './templates.js';

export interface NotifyPluginOptions {
  notifier: Notifier;
}

const ErrorBody = ErrorAnswerSchema;
const Params = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
const Prefs = {
  language: Type.String({ enum: ['fr', 'ar', 'en'] }),
  channels: Type.Array(Type.String({ enum: ['webhook', 'sms', 'email'] }), {
    maxItems: 3,
    uniqueItems: true,
  }),
  webhookUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  smsTo: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Null()])),
  emailTo: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()])),
  mutedKinds: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 20 })),
};
const PrefsOut = Type.Object({
  customerId: Type.String(),
  ...Prefs,
  webhookSecretSet: Type.Boolean(),
  saved: Type.Optional(Type.Boolean({ description: 'false: nothing saved yet, these are the defaults' })),
});

function ownCustomer(request: FastifyRequest, customerId: string): void {
  const p = request.principal;
  if (p?.role === 'customer' && p.customerId !== customerId) {
    throw new GatewayError('MG_ERR_CUSTOMER_NOT_FOUND', { params: { customerId } });
  }
}

/** A customer's notification preferences: language and channels (the webhook secret is write-only). */
export const notifyPlugin: FastifyPluginAsyncTypebox<NotifyPluginOptions> = async (app, options) => {
  const store = options.notifier.preferencesStore;
  app.get(
    '/api/customers/:id/notification-preferences',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'notification language and channels of a customer',
        tags: ['notifications'],
        params: Params,
        response: { 200: PrefsOut, 404: ErrorBody },
      },
    },
    async (request) => {
      ownCustomer(request, request.params.id);
      // Nothing saved yet: what applies today (French, no channel: nothing is sent), so the
      // preferences page opens on the defaults instead of an error.
      const saved = await store.get(request.params.id);
      return saved
        ? { ...saved, saved: true }
        : {
            customerId: request.params.id,
            language: 'fr' as const,
            channels: [],
            mutedKinds: [],
            webhookSecretSet: false,
            saved: false,
          };
    },
  );

  app.put(
    '/api/customers/:id/notification-preferences',
    {
      config: { roles: ['operator', 'customer'] },
      schema: {
        summary: 'set notification language and channels',
        tags: ['notifications'],
        params: Params,
        body: Type.Object(
          { ...Prefs, webhookSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 200 })) },
          { additionalProperties: false },
        ),
        response: { 200: PrefsOut, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => {
      ownCustomer(request, request.params.id);
      const b = request.body;
      // A NotifyError (MG_ERR_NOTIFY_BAD_REQUEST) is a GatewayError: answered as it is.
      return store.set({
        customerId: request.params.id,
        language: b.language as Language,
        channels: b.channels as ChannelName[],
        webhookUrl: b.webhookUrl ?? null,
        smsTo: b.smsTo ?? null,
        emailTo: b.emailTo ?? null,
        mutedKinds: (b.mutedKinds ?? []) as NotificationKind[],
        ...(b.webhookSecret ? { webhookSecret: b.webhookSecret } : {}),
      });
    },
  );
};
