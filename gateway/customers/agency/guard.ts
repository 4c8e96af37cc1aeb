import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../platform/index.js';
import type { AgencyAccounts, AgencyUser } from './accounts.js';
import './errors.js';
import { crossSite, type AgencySessions } from './sessions.js';

declare module 'fastify' {
  interface FastifyRequest {
    agencyUser?: AgencyUser;
  }
  interface FastifyContextConfig {
    /**
     * An agency route reached with the session cookie instead of an API key (the route is `public`
     * for the API-key auth, this guard admits only the signed-in customer): `session` — the
     * temporary password must have been changed; `first-sign-in` — also before that change.
     */
    agency?: 'session' | 'first-sign-in' | 'anonymous';
  }
}

/**
 * The agency's own authentication, in its encapsulated scope: every state-changing request must
 * come from the agency's pages (CSRF), and a route marked `agency` needs a live session; until the
 * temporary password is changed only `first-sign-in` routes answer (403 otherwise). The signed-in
 * customer becomes the request's principal (role customer, scoped to their customer id).
 */
export function installAgencyGuard(
  app: FastifyInstance,
  deps: { accounts: AgencyAccounts; sessions: AgencySessions },
): void {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const mode = request.routeOptions.config?.agency;
    if (!mode) return;
    if (crossSite(request)) throw new GatewayError('MG_ERR_AGENCY_CROSS_SITE');
    if (mode === 'anonymous') return;
    const userId = await deps.sessions.userOf(request);
    const user = userId ? await deps.accounts.byId(userId) : undefined;
    if (!user) throw new GatewayError('MG_ERR_AGENCY_NOT_SIGNED_IN');
    if (user.mustChangePassword && mode !== 'first-sign-in')
      throw new GatewayError('MG_ERR_AGENCY_PASSWORD_CHANGE_REQUIRED');
    request.agencyUser = user;
    request.principal = { id: `agency:${user.username}`, role: 'customer', customerId: user.customerId };
  });
}

export function agencyUser(request: FastifyRequest): AgencyUser {
  if (!request.agencyUser) throw new GatewayError('MG_ERR_AGENCY_NOT_SIGNED_IN');
  return request.agencyUser;
}
