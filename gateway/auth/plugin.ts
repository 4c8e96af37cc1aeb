import fastifyJwt from '@fastify/jwt';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { runMigrations, type SqlDatabase } from '../db/index.js';
import { verifyApiKey } from './api-keys.js';
import { ApiError, AuthErrorCodes, errorBody } from './errors.js';
import { AUTH_MIGRATIONS } from './migrations.js';
import { isRole, type Principal, type Role } from './principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on this route (admin is always allowed). Without `roles` or `public`: admin only. */
    roles?: readonly Role[];
    /** No credentials needed (health, docs). */
    public?: boolean;
  }
  interface FastifyInstance {
    /** Customer scoping: may this principal see this meter? Staff and vendors: yes; customers: own meters. */
    canSeeMeter(principal: Principal | undefined, meterId: string): Promise<boolean>;
  }
}

export interface AuthPluginOptions {
  db: SqlDatabase;
  /** HS256 secret enabling `Authorization: Bearer <JWT>` with claims { sub, role, vendorId?, customerId? }. */
  jwtSecret?: string;
  /** Requests per principal (or per IP before authentication) per window. Default 600 per minute. */
  rateLimit?: { max: number; timeWindow: number | string } | false;
  /** Whether a customer owns a meter; default: the ledger's `meters.customer_id`. */
  ownsMeter?: (customerId: string, meterId: string) => Promise<boolean>;
  /** Run the api_keys migration on start (default true). */
  migrate?: boolean;
  /** Failed authentications allowed per client IP per window before it gets 429 (default 30 per minute). */
  failedAuthLimit?: { max: number; windowMs: number } | false;
  /** How long a verified API key is cached in memory (ms, default 5000; 0 disables). Revocation takes effect within it. */
  keyCacheMs?: number;
}

export function requireRole(request: FastifyRequest, ...roles: Role[]): Principal {
  const p = request.principal;
  if (!p) throw new ApiError(401, AuthErrorCodes.unauthenticated, 'authentication required');
  if (p.role !== 'admin' && !roles.includes(p.role)) {
    throw new ApiError(403, AuthErrorCodes.forbidden, `role ${p.role} may not do this`);
  }
  return p;
}

function credentialsOf(request: FastifyRequest): { kind: 'key' | 'jwt'; value: string } | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return { kind: 'key', value: header };
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+/i.test(auth)) {
    const value = auth.replace(/^Bearer\s+/i, '').trim();
    return { kind: value.startsWith('mgk_') ? 'key' : 'jwt', value };
  }
  return undefined;
}

async function defaultOwnsMeter(db: SqlDatabase, customerId: string, meterId: string): Promise<boolean> {
  try {
    const { rows } = await db.query('SELECT 1 FROM meters WHERE id = $1 AND customer_id = $2', [
      meterId,
      customerId,
    ]);
    return rows.length > 0;
  } catch (err) {
    // No ledger in this deployment: nobody owns anything.
    if ((err as { code?: string }).code === '42P01') return false;
    throw err;
  }
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send(errorBody(code, message));
}

async function auth(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const { db } = options;
  if (options.migrate !== false) await runMigrations(db, AUTH_MIGRATIONS);
  if (options.jwtSecret) await app.register(fastifyJwt, { secret: options.jwtSecret });

  const cacheMs = options.keyCacheMs ?? 5000;
  const cache = new Map<string, { principal: Principal | null; until: number }>();

  async function authenticate(request: FastifyRequest): Promise<Principal> {
    const cred = credentialsOf(request);
    if (!cred)
      throw new ApiError(
        401,
        AuthErrorCodes.unauthenticated,
        'authentication required (x-api-key or Bearer)',
      );
    if (cred.kind === 'key') {
      const now = Date.now();
      const hit = cache.get(cred.value);
      let principal = hit && hit.until > now ? hit.principal : undefined;
      if (principal === undefined) {
        principal = await verifyApiKey(db, cred.value);
        if (cacheMs > 0) {
          if (cache.size > 10_000) cache.clear();
          cache.set(cred.value, { principal, until: now + cacheMs });
        }
      }
      if (!principal) throw new ApiError(401, AuthErrorCodes.invalidKey, 'invalid or revoked API key');
      return principal;
    }
    if (!options.jwtSecret)
      throw new ApiError(401, AuthErrorCodes.invalidKey, 'JWT authentication is not enabled');
    let claims: Record<string, unknown>;
    try {
      claims = app.jwt.verify<Record<string, unknown>>(cred.value);
    } catch {
      throw new ApiError(401, AuthErrorCodes.invalidKey, 'invalid or expired JWT');
    }
    if (typeof claims.sub !== 'string' || !isRole(claims.role)) {
      throw new ApiError(401, AuthErrorCodes.invalidKey, 'JWT must carry sub and a role claim');
    }
    const principal: Principal = { id: `jwt:${claims.sub}`, role: claims.role };
    if (typeof claims.vendorId === 'string') principal.vendorId = claims.vendorId;
    if (typeof claims.customerId === 'string') principal.customerId = claims.customerId;
    if (principal.role === 'vendor' && !principal.vendorId) {
      throw new ApiError(401, AuthErrorCodes.invalidKey, 'a vendor JWT needs a vendorId claim');
    }
    if (principal.role === 'customer' && !principal.customerId) {
      throw new ApiError(401, AuthErrorCodes.invalidKey, 'a customer JWT needs a customerId claim');
    }
    return principal;
  }

  // Guessing credentials: after too many failures from one IP, refuse before even checking.
  const failLimit =
    options.failedAuthLimit === false
      ? undefined
      : (options.failedAuthLimit ?? { max: 30, windowMs: 60_000 });
  const failures = new Map<string, { count: number; until: number }>();
  const failedBefore = (ip: string): boolean => {
    const f = failures.get(ip);
    return !!failLimit && !!f && f.until > Date.now() && f.count >= failLimit.max;
  };
  const noteFailure = (ip: string): void => {
    if (!failLimit) return;
    const now = Date.now();
    const f = failures.get(ip);
    if (!f || f.until <= now) {
      if (failures.size > 100_000) failures.clear();
      failures.set(ip, { count: 1, until: now + failLimit.windowMs });
    } else f.count++;
  };

  // Deny by default: every route is checked here, before rate limiting and body parsing.
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config ?? {};
    if (config.public) return;
    if (failedBefore(request.ip)) {
      throw new ApiError(
        429,
        AuthErrorCodes.rateLimited,
        'too many failed authentications from this address; retry later',
      );
    }
    let principal: Principal;
    try {
      principal = await authenticate(request);
    } catch (err) {
      if (err instanceof ApiError && err.code === AuthErrorCodes.invalidKey) noteFailure(request.ip);
      throw err;
    }
    request.principal = principal;
    const roles = config.roles ?? [];
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new ApiError(403, AuthErrorCodes.forbidden, `role ${principal.role} may not call this route`);
    }
  });

  if (options.rateLimit !== false) {
    const limit = options.rateLimit ?? { max: 600, timeWindow: '1 minute' };
    await app.register(rateLimit, {
      global: true,
      max: limit.max,
      timeWindow: limit.timeWindow,
      keyGenerator: (req) => req.principal?.id ?? `ip:${req.ip}`,
      errorResponseBuilder: (_req, ctx) =>
        new ApiError(429, AuthErrorCodes.rateLimited, `rate limit exceeded, retry in ${ctx.after}`),
    });
  }

  const ownsMeter = options.ownsMeter ?? ((c: string, m: string) => defaultOwnsMeter(db, c, m));
  app.decorate('canSeeMeter', async (principal: Principal | undefined, meterId: string) => {
    if (!principal) return false;
    if (principal.role !== 'customer') return true;
    return principal.customerId ? ownsMeter(principal.customerId, meterId) : false;
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, AuthErrorCodes.notFound, `no route ${request.method} ${request.url.split('?')[0]}`),
  );

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof ApiError) return sendError(reply, err.statusCode, err.code, err.message);
    if (err.validation) {
      return sendError(
        reply,
        400,
        AuthErrorCodes.validation,
        `${err.validationContext ?? 'request'} ${err.message}`,
      );
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors (bad JSON, body too large, unsupported media type): stable, safe messages.
      return sendError(reply, status, AuthErrorCodes.badRequest, err.message);
    }
    // Never echo internal error text (it could carry SQL or key material): log the id only.
    request.log.error({ reqId: request.id, code: err.code, name: err.name }, 'request failed');
    return sendError(reply, 500, AuthErrorCodes.internal, `internal error (request ${request.id})`);
  });
}

/** Non-encapsulated: its hooks, decorators and error handler apply to every route of the app. */
export const authPlugin = fp(auth, { name: 'metergate-auth', fastify: '5.x' });
