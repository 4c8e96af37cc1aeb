import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, type SqlDatabase } from '../db/index.js';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.js';
import { authPlugin, requireRole } from './plugin.js';

let db: SqlDatabase;
let app: FastifyInstance;
let adminKey: string;
let vendorKey: string;
let customerKey: string;
const JWT_SECRET = 'test-secret-test-secret-test-secret!';

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await db.exec('CREATE TABLE meters (id text PRIMARY KEY, customer_id text)');
  await db.query("INSERT INTO meters VALUES ('M1', 'C1'), ('M2', 'C2')");
  app = Fastify();
  await app.register(authPlugin, {
    db,
    jwtSecret: JWT_SECRET,
    rateLimit: { max: 5, timeWindow: 60_000 },
    keyCacheMs: 0,
  });
  app.get('/open', { config: { public: true } }, async () => ({ ok: true }));
  app.get('/admin-only', async (req) => ({ who: req.principal }));
  app.get('/sales', { config: { roles: ['vendor', 'operator'] } }, async (req) => ({ who: req.principal }));
  app.get('/meters/:id', { config: { roles: ['customer', 'operator'] } }, async (req) => ({
    visible: await app.canSeeMeter(req.principal, (req.params as { id: string }).id),
  }));
  app.get('/boom', { config: { roles: ['operator'] } }, async () => {
    throw new Error('SELECT secret FROM vault WHERE key=00112233');
  });
  app.get('/ops', { config: { roles: ['vendor'] } }, async (req) => {
    requireRole(req, 'operator');
    return { ok: true };
  });
  app.post(
    '/typed',
    {
      config: { public: true },
      schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } },
    },
    async () => ({ ok: true }),
  );
  await app.ready();
  adminKey = (await createApiKey(db, { role: 'admin', label: 'root' })).key;
  vendorKey = (await createApiKey(db, { role: 'vendor', vendorId: 'V1' })).key;
  customerKey = (await createApiKey(db, { role: 'customer', customerId: 'C1' })).key;
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('authPlugin', () => {
  it('lets public routes through and denies everything else without credentials', async () => {
    expect((await app.inject({ url: '/open' })).statusCode).toBe(200);
    const r = await app.inject({ url: '/sales' });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toEqual({
      statusCode: 401,
      code: 'MG_ERR_AUTH_UNAUTHENTICATED',
      message: expect.stringMatching(/^Authentification requise/),
    });
  });

  it('accepts API keys in x-api-key or Bearer and sets the principal', async () => {
    const a = await app.inject({ url: '/sales', headers: { 'x-api-key': vendorKey } });
    expect(a.statusCode).toBe(200);
    expect(a.json().who).toMatchObject({ role: 'vendor', vendorId: 'V1' });
    const b = await app.inject({ url: '/sales', headers: { authorization: `Bearer ${vendorKey}` } });
    expect(b.statusCode).toBe(200);
  });

  it('refuses wrong, malformed and revoked keys with one error shape that never echoes the key', async () => {
    const wrong = vendorKey.slice(0, -4) + 'AAAA';
    for (const key of [wrong, 'nonsense', `mgk_0000000000000000_${'A'.repeat(43)}`]) {
      const r = await app.inject({ url: '/sales', headers: { 'x-api-key': key } });
      expect(r.statusCode).toBe(401);
      expect(r.json().code).toBe('MG_ERR_AUTH_INVALID_CREDENTIALS');
      expect(r.body).not.toContain(key);
    }
    const k = await createApiKey(db, { role: 'operator' });
    expect((await app.inject({ url: '/sales', headers: { 'x-api-key': k.key } })).statusCode).toBe(200);
    expect(await revokeApiKey(db, k.id)).toBe(true);
    expect((await app.inject({ url: '/sales', headers: { 'x-api-key': k.key } })).statusCode).toBe(401);
  });

  it('stores only a hash of the secret', async () => {
    const { rows } = await db.query<{ secret_hash: string }>('SELECT secret_hash FROM api_keys');
    // The secret is base64url, so it may itself hold '_': take everything after the id.
    const secret = vendorKey.split('_').slice(2).join('_');
    expect(secret).toHaveLength(43);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.secret_hash).not.toContain(secret);
    expect((await listApiKeys(db)).find((k) => k.vendorId === 'V1')).toMatchObject({ role: 'vendor' });
  });

  it('is admin-only by default and enforces route roles', async () => {
    expect((await app.inject({ url: '/admin-only', headers: { 'x-api-key': vendorKey } })).statusCode).toBe(
      403,
    );
    expect((await app.inject({ url: '/admin-only', headers: { 'x-api-key': adminKey } })).statusCode).toBe(
      200,
    );
    expect((await app.inject({ url: '/sales', headers: { 'x-api-key': customerKey } })).json().code).toBe(
      'MG_ERR_AUTH_FORBIDDEN',
    );
    expect((await app.inject({ url: '/ops', headers: { 'x-api-key': vendorKey } })).statusCode).toBe(403);
  });

  it('accepts HS256 JWTs carrying a role and refuses forged ones', async () => {
    const good = app.jwt.sign({ sub: 'u1', role: 'vendor', vendorId: 'V9' });
    const r = await app.inject({ url: '/sales', headers: { authorization: `Bearer ${good}` } });
    expect(r.statusCode).toBe(200);
    expect(r.json().who).toEqual({ id: 'jwt:u1', role: 'vendor', vendorId: 'V9' });
    const forged = good.slice(0, -3) + (good.endsWith('A') ? 'BBB' : 'AAA');
    expect(
      (await app.inject({ url: '/sales', headers: { authorization: `Bearer ${forged}` } })).statusCode,
    ).toBe(401);
    const noRole = app.jwt.sign({ sub: 'u2' });
    expect(
      (await app.inject({ url: '/sales', headers: { authorization: `Bearer ${noRole}` } })).statusCode,
    ).toBe(401);
  });

  it('scopes customers to their own meters', async () => {
    const own = await app.inject({ url: '/meters/M1', headers: { 'x-api-key': customerKey } });
    expect(own.json()).toEqual({ visible: true });
    const other = await app.inject({ url: '/meters/M2', headers: { 'x-api-key': customerKey } });
    expect(other.json()).toEqual({ visible: false });
    const staff = await app.inject({ url: '/meters/M2', headers: { 'x-api-key': adminKey } });
    expect(staff.json()).toEqual({ visible: true });
  });

  it('hides internal error text and answers validation and 404 in the same shape', async () => {
    const r = await app.inject({ url: '/boom', headers: { 'x-api-key': adminKey } });
    expect(r.statusCode).toBe(500);
    expect(r.json().code).toBe('MG_ERR_INTERNAL');
    expect(r.body).not.toContain('00112233');
    const v = await app.inject({ method: 'POST', url: '/typed', payload: { n: 'x' } });
    expect(v.statusCode).toBe(400);
    expect(v.json().code).toBe('MG_ERR_HTTP_VALIDATION');
    const n = await app.inject({ url: '/nowhere', headers: { 'x-api-key': adminKey } });
    // Without credentials an unknown route answers 401, so route names are not probed anonymously.
    expect((await app.inject({ url: '/nowhere' })).statusCode).toBe(401);
    expect(n.statusCode).toBe(404);
    expect(n.json().code).toBe('MG_ERR_HTTP_NOT_FOUND');
  });

  it('rate-limits per principal', async () => {
    const k1 = (await createApiKey(db, { role: 'operator' })).key;
    const k2 = (await createApiKey(db, { role: 'operator' })).key;
    const codes: number[] = [];
    for (let i = 0; i < 7; i++)
      codes.push((await app.inject({ url: '/sales', headers: { 'x-api-key': k1 } })).statusCode);
    expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(codes.slice(5)).toEqual([429, 429]);
    const limited = await app.inject({ url: '/sales', headers: { 'x-api-key': k1 } });
    expect(limited.json().code).toBe('MG_ERR_HTTP_RATE_LIMITED');
    expect((await app.inject({ url: '/sales', headers: { 'x-api-key': k2 } })).statusCode).toBe(200);
  });

  it('refuses to create keys that lack their scope', async () => {
    for (const options of [{ role: 'vendor' }, { role: 'customer' }, { role: 'root' }]) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await expect(createApiKey(db, options as any)).rejects.toMatchObject({
        code: 'MG_ERR_AUTH_ROLE',
        statusCode: 400,
      });
    }
  });

  it('answers in the caller language: ?lang, then the lang cookie, then Accept-Language', async () => {
    const msg = async (url: string, headers: Record<string, string> = {}) =>
      (await app.inject({ url, headers })).json().message as string;
    expect(await msg('/sales')).toMatch(/^Authentification requise/);
    expect(await msg('/sales', { 'accept-language': 'en-GB,en;q=0.9' })).toMatch(/^Authentication required/);
    expect(await msg('/sales', { 'accept-language': 'ar-MA' })).toMatch(/^المصادقة مطلوبة/);
    expect(await msg('/sales', { cookie: 'theme=dark; lang=en', 'accept-language': 'ar' })).toMatch(
      /^Authentication/,
    );
    expect(await msg('/sales?lang=ar', { cookie: 'lang=en' })).toMatch(/^المصادقة/);
  });

  it('locks failed credentials per (key id, client address): a valid key is never locked by someone else', async () => {
    // Behind a reverse proxy: trustProxy makes request.ip the client (X-Forwarded-For), not the proxy.
    const guard = Fastify({ trustProxy: true });
    await guard.register(authPlugin, {
      db,
      rateLimit: false,
      failedAuthLimit: { max: 3, windowMs: 60_000 },
      migrate: false,
      keyCacheMs: 0,
    });
    guard.get('/x', { config: { roles: ['operator', 'vendor'] } }, async () => ({ ok: true }));
    await guard.ready();
    const from = (ip: string, key: string) =>
      guard.inject({ url: '/x', headers: { 'x-api-key': key, 'x-forwarded-for': ip } });
    try {
      // An attacker at 203.0.113.7 guesses the secret of the vendor's key id.
      const guessed = vendorKey.slice(0, -43) + 'B'.repeat(43);
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await from('203.0.113.7', guessed)).statusCode);
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      const locked = await from('203.0.113.7', guessed);
      expect(locked.json()).toMatchObject({ statusCode: 429, code: 'MG_ERR_AUTH_TOO_MANY_FAILURES' });
      // The vendor, from its own address, is not locked by the attacker's failures.
      expect((await from('198.51.100.20', vendorKey)).statusCode).toBe(200);
      // Nor is another key used from the attacker's address (the lock is per key id).
      expect((await from('203.0.113.7', adminKey)).statusCode).toBe(200);
      // Random malformed credentials count against the address alone, never against a real key.
      for (let i = 0; i < 5; i++) await from('198.51.100.20', 'nonsense');
      expect((await from('198.51.100.20', 'nonsense')).statusCode).toBe(429);
      expect((await from('198.51.100.20', vendorKey)).statusCode).toBe(200);
    } finally {
      await guard.close();
    }
  });
});
