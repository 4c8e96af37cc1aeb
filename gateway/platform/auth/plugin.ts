import fastifyJwt from '@fastify/jwt';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { runMigrations, type SqlDatabase } from '../db/index.js';
import { isReaderId, verifyApiKey } from './api-keys.js';
import { GatewayError } from '../errors/index.js';
import { errorAnswersPlugin } from './error-handler.js';
import './errors.js';
import { FailedAuthLimiter, limiterBucket } from './failed-auth-limiter.js';
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
    /** Customer scoping: may this principal see this meter? Staff and vendors: yes; customers: own meters; readers: no (their rounds carry what they need). */
    canSeeMeter(principal: Principal | undefined, meterId: string): Promise<boolean>;
  }
}

export interface AuthPluginOptions {
  db: SqlDatabase;
  /** HS256 secret enabling `Authorization: Bearer <JWT>` with claims { sub, role, vendorId?, customerId?, readerId? }. */
  jwtSecret?: string;
  /** Requests per principal (or per IP before authentication) per window. Default 600 per minute. */
  rateLimit?: { max: number; timeWindow: number | string } | false;
  /** Whether a customer owns a meter; default: the ledger's `meters.customer_id`. */
  ownsMeter?: (customerId: string, meterId: string) => Promise<boolean>;
  /** Run the api_keys migration on start (default true). */
  migrate?: boolean;
  /**
   * Failed authentications allowed per (key id, client address) per window before that pair gets 429
   * (default 30 per minute). The client address is `request.ip`: behind a reverse proxy set the
   * server's `trustProxy` (config `http.trustProxy`) so it is the client's, not the proxy's.
   */
  failedAuthLimit?: { max: number; windowMs: number } | false;
  /** How long a verified API key is cached in memory (ms, default 5000; 0 disables). Revocation takes effect within it. */
  keyCacheMs?: number;
}

export function requireRole(request: FastifyRequest, ...roles: Role[]): Principal {
  const p = request.principal;
  if (!p) throw new GatewayError('MG_ERR_AUTH_UNAUTHENTICATED');
  if (p.role !== 'admin' && !roles.includes(p.role)) {
    throw new GatewayError('MG_ERR_AUTH_FORBIDDEN', { params: { role: p.role } });
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

async function auth(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const { db } = options;
  await app.register(errorAnswersPlugin);
  if (options.migrate !== false) await runMigrations(db, AUTH_MIGRATIONS);
  if (options.jwtSecret) await app.register(fastifyJwt, { secret: options.jwtSecret });

  const cacheMs = options.keyCacheMs ?? 5000;
  const cache = new Map<string, { principal: Principal | null; until: number }>();

  async function authenticate(request: FastifyRequest): Promise<Principal> {
    const cred = credentialsOf(request);
    if (!cred) throw new GatewayError('MG_ERR_AUTH_UNAUTHENTICATED');
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
      if (!principal) throw new GatewayError('MG_ERR_AUTH_INVALID_CREDENTIALS');
      return principal;
    }
    if (!options.jwtSecret) throw new GatewayError('MG_ERR_AUTH_INVALID_CREDENTIALS');
    let claims: Record<string, unknown>;
    try {
      claims = app.jwt.verify<Record<string, unknown>>(cred.value);
    } catch {
      throw new GatewayError('MG_ERR_AUTH_INVALID_CREDENTIALS');
    }
    if (typeof claims.sub !== 'string' || !isRole(claims.role)) {
      throw new GatewayError('MG_ERR_AUTH_INVALID_CREDENTIALS');
    }
    const principal: Principal = { id: `jwt:${claims.sub}`, role: claims.role };
    if (typeof claims.vendorId === 'string') principal.vendorId = claims.vendorId;
    if (typeof claims.customerId === 'string') principal.customerId = claims.customerId;
    if (isReaderId(claims.readerId)) principal.readerId = claims.readerId.trim();
    if (principal.role === 'vendor' && !principal.vendorId) {
      throw new GatewayError('MG_ERR_AUTH_INVALID_CREDENTIALS');
    }
    if (principal.role === 'customer' && !principal.customerId) {
      throw new GatewayError('MG_ERR_AUTH_INVALID_CREDENTIALS');
    }
    if (principal.role === 'reader' && !principal.readerId) {
      throw new GatewayError('MG_ERR_AUTH_INVALID_CREDENTIALS');
    }
    return principal;
  }

  // Guessing credentials: failures are counted per (key id, client address), so a client that fails
  // locks only its own attempts at that key; a valid key used from another address (or another key
  // from the same address) is never locked by someone else's failures. Credentials that are not a
  // well-formed API key count against the address alone (a valid key is always well-formed).
  const limiter = new FailedAuthLimiter(
    options.failedAuthLimit === false
      ? undefined
      : (options.failedAuthLimit ?? { max: 30, windowMs: 60_000 }),
  );

  // Deny by default: every route is checked here, before rate limiting and body parsing.
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config ?? {};
    if (config.public) return;
    const bucket = limiterBucket(credentialsOf(request), request.ip);
    if (limiter.locked(bucket)) throw new GatewayError('MG_ERR_AUTH_TOO_MANY_FAILURES');
    let principal: Principal;
    try {
      principal = await authenticate(request);
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'MG_ERR_AUTH_INVALID_CREDENTIALS') limiter.fail(bucket);
      throw err;
    }
    request.principal = principal;
    const roles = config.roles ?? [];
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new GatewayError('MG_ERR_AUTH_FORBIDDEN', { params: { role: principal.role } });
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
        new GatewayError('MG_ERR_HTTP_RATE_LIMITED', { params: { after: ctx.after } }),
    });
  }

  const ownsMeter = options.ownsMeter ?? ((c: string, m: string) => defaultOwnsMeter(db, c, m));
  app.decorate('canSeeMeter', async (principal: Principal | undefined, meterId: string) => {
    if (!principal || principal.role === 'reader') return false;
    if (principal.role !== 'customer') return true;
    return principal.customerId ? ownsMeter(principal.customerId, meterId) : false;
  });
}

/** Non-encapsulated: its hooks, decorators and error handler apply to every route of the app. */
export const authPlugin = fp(auth, { name: 'metergate-auth', fastify: '5.x' });
