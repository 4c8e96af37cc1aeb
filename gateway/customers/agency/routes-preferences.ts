import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GatewayError, SqlPreferencesStore, type SqlDatabase } from '../../platform/index.js';
import { agencyUser } from './guard.js';
import { errorAnswers } from './schemas.js';

const Channels = Type.Union([Type.Literal('sms'), Type.Literal('email'), Type.Literal('both')]);
const Language = Type.Union([Type.Literal('fr'), Type.Literal('ar'), Type.Literal('en')]);
const Preferences = Type.Object({ channels: Channels, language: Language }, { additionalProperties: false });
type Prefs = { channels: 'sms' | 'email' | 'both'; language: 'fr' | 'ar' | 'en' };

/**
 * Notification preferences from the agency (SMS, e-mail or both; language): the platform's
 * notification preferences of the customer, addressed to the account's mobile and e-mail; the
 * language also becomes the agency's own messages' language.
 */
export function preferenceRoutes(app: FastifyInstance, d: { db: SqlDatabase }): void {
  const store = new SqlPreferencesStore({ db: d.db });
  const session = { public: true, agency: 'session' as const };
  const tags = ['agency'];

  app.get(
    '/api/agency/preferences',
    {
      config: session,
      schema: {
        tags,
        summary: 'My notification preferences',
        response: { 200: Preferences, ...errorAnswers },
      },
    },
    async (req): Promise<Prefs> => {
      const user = agencyUser(req);
      const p = await store.get(user.customerId);
      if (!p) return { channels: 'sms', language: user.language };
      const sms = p.channels.includes('sms');
      const email = p.channels.includes('email');
      return { channels: sms && email ? 'both' : email ? 'email' : 'sms', language: p.language };
    },
  );

  app.put(
    '/api/agency/preferences',
    {
      config: session,
      schema: {
        tags,
        summary: 'Change my notification preferences (SMS, e-mail or both; language)',
        body: Preferences,
        response: { 200: Preferences, ...errorAnswers },
      },
    },
    async (req): Promise<Prefs> => {
      const user = agencyUser(req);
      const body = req.body as Prefs;
      if (body.channels !== 'sms' && !user.email)
        throw new GatewayError('MG_ERR_AGENCY_BAD_INPUT', { params: { reason: '/channels' } });
      const current = await store.load(user.customerId);
      const keep = (current?.channels ?? []).filter((c) => c === 'webhook');
      await store.set({
        ...(current ?? {}),
        customerId: user.customerId,
        language: body.language,
        channels: [
          ...keep,
          ...(body.channels === 'email' ? [] : ['sms' as const]),
          ...(body.channels === 'sms' ? [] : ['email' as const]),
        ],
        smsTo: user.mobile,
        emailTo: user.email,
      });
      await d.db.query('UPDATE agency_users SET language = $2 WHERE id = $1', [user.id, body.language]);
      return body;
    },
  );
}
