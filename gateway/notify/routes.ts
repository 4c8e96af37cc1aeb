import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ID_PATTERN } from '../../protocol/index.js';
import { ApiError } from '../auth/index.js';
import type { ChannelName } from './channels/channel.js';
import { NotifyError } from './errors.js';
import type { Notifier } from './notifier.js';
import type { NotificationKind } from './templates.js';

export interface NotifyPluginOptions {
  notifier: Notifier;
}

const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
const Params = Type.Object({ id: Type.String({ pattern: ID_PATTERN }) });
const Prefs = {
  language: Type.String({ enum: ['fr', 'en'] }),
  channels: Type.Array(Type.String({ enum: ['webhook', 'sms', 'email'] }), {
    maxItems: 3,
    uniqueItems: true,
  }),
  webhookUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  smsTo: Type.Optional(Type.Union([Type.String({ maxLength: 20 }), Type.Null()])),
  emailTo: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()])),
  mutedKinds: Type.Optional(Type.Array(Type.String({ maxLength: 40 }), { maxItems: 20 })),
};
const PrefsOut = Type.Object({ customerId: Type.String(), ...Prefs, webhookSecretSet: Type.Boolean() });

function ownCustomer(request: FastifyRequest, customerId: string): void {
  const p = request.principal;
  if (p?.role === 'customer' && p.customerId !== customerId) {
    throw new ApiError(404, 'MG_ERR_NOTIFY_NO_CUSTOMER', `no customer ${customerId} (or not you)`);
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
      const p = await store.get(request.params.id);
      if (!p)
        throw new ApiError(404, 'MG_ERR_NOTIFY_NO_PREFERENCES', `no preferences for ${request.params.id}`);
      return p;
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
      try {
        return await store.set({
          customerId: request.params.id,
          language: b.language as 'fr' | 'en',
          channels: b.channels as ChannelName[],
          webhookUrl: b.webhookUrl ?? null,
          smsTo: b.smsTo ?? null,
          emailTo: b.emailTo ?? null,
          mutedKinds: (b.mutedKinds ?? []) as NotificationKind[],
          ...(b.webhookSecret ? { webhookSecret: b.webhookSecret } : {}),
        });
      } catch (err) {
        if (err instanceof NotifyError) throw new ApiError(400, err.code, err.message);
        throw err;
      }
    },
  );
};
