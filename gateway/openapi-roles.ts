import type { FastifyContextConfig } from 'fastify';

/**
 * The roles that may call a route, for the OpenAPI `x-roles` of its operation, derived from the
 * route's `config` that the auth plugin enforces (so it is declared once): `["public"]` for public
 * routes, otherwise admin (always admitted) and the declared roles.
 */
export function openapiRoles(config: Partial<FastifyContextConfig> | undefined): string[] {
  if (config?.public) return ['public'];
  return [...new Set(['admin', ...(config?.roles ?? [])])];
}
