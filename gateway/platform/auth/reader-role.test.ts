import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../db/index.js';
import { createApiKey, listApiKeys, verifyApiKey } from './api-keys.js';
import { AUTH_MIGRATIONS } from './migrations.js';
import { authPlugin } from './plugin.js';

/** The meter reader's role: a key (or JWT) carries the reader's id, and reaches only what lists `reader`. */
let db: SqlDatabase;
let app: FastifyInstance;
const JWT_SECRET = 'reader-secret-reader-secret-reader!';

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await db.exec('CREATE TABLE meters (id text PRIMARY KEY, customer_id text)');
  await db.query("INSERT INTO meters VALUES ('M1', 'C1')");
  app = Fastify();
  await app.register(authPlugin, { db, jwtSecret: JWT_SECRET, rateLimit: false, keyCacheMs: 0 });
  app.get('/rounds', { config: { roles: ['operator', 'reader'] } }, async (req) => ({ who: req.principal }));
  app.get('/ops', { config: { roles: ['operator'] } }, async () => ({ ok: true }));
  app.get('/meters/:id', { config: { roles: ['customer', 'operator', 'reader'] } }, async (req) => ({
    visible: await app.canSeeMeter(req.principal, (req.params as { id: string }).id),
  }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await db?.close();
});

const get = (url: string, headers: Record<string, string>) => app.inject({ url, headers });

describe('the reader role', () => {
  it('creates a reader key carrying its reader id, listed and verified with it', async () => {
    const k = await createApiKey(db, { role: 'reader', readerId: ' releveur-07 ', label: 'Samira' });
    expect(await verifyApiKey(db, k.key)).toEqual({
      id: `key:${k.id}`,
      role: 'reader',
      readerId: 'releveur-07',
    });
    expect((await listApiKeys(db)).find((x) => x.id === k.id)).toMatchObject({
      role: 'reader',
      readerId: 'releveur-07',
      vendorId: null,
      customerId: null,
    });
    const r = await get('/rounds', { 'x-api-key': k.key });
    expect(r.statusCode).toBe(200);
    expect(r.json().who).toEqual({ id: `key:${k.id}`, role: 'reader', readerId: 'releveur-07' });
  });

  it('refuses a reader key without a usable reader id, and a reader id on another role is not kept', async () => {
    for (const readerId of [undefined, '', '   ', 'x'.repeat(101)]) {
      await expect(
        createApiKey(db, { role: 'reader', ...(readerId === undefined ? {} : { readerId }) }),
      ).rejects.toMatchObject({
        code: 'MG_ERR_AUTH_ROLE',
        statusCode: 400,
      });
    }
    const op = await createApiKey(db, { role: 'operator', readerId: 'releveur-07' });
    expect(await verifyApiKey(db, op.key)).toEqual({ id: `key:${op.id}`, role: 'operator' });
  });

  it('is enforced by the database too: no reader row without its reader, no unknown role', async () => {
    await expect(
      db.query("INSERT INTO api_keys (id, secret_hash, role) VALUES ('r0', 'h', 'reader')"),
    ).rejects.toThrow(/api_keys_reader_id_check/);
    await expect(
      db.query("INSERT INTO api_keys (id, secret_hash, role) VALUES ('r1', 'h', 'root')"),
    ).rejects.toThrow(/api_keys_role_check/);
  });

  it('migrates a database created before the role (auth-0001 only) without losing its keys', async () => {
    const old = await new PgliteDatabase().start();
    try {
      await runMigrations(old, AUTH_MIGRATIONS.slice(0, 1));
      const vendor = await old.query(
        "INSERT INTO api_keys (id, secret_hash, role, vendor_id) VALUES ('v1', 'h', 'vendor', 'V1')",
      );
      expect(vendor.rowCount).toBe(1);
      await runMigrations(old, AUTH_MIGRATIONS);
      const k = await createApiKey(old, { role: 'reader', readerId: 'r-1' });
      expect(await verifyApiKey(old, k.key)).toMatchObject({ role: 'reader', readerId: 'r-1' });
      expect((await listApiKeys(old)).map((x) => [x.id, x.role])).toEqual([
        ['v1', 'vendor'],
        [k.id, 'reader'],
      ]);
    } finally {
      await old.close();
    }
  });

  it('gets 403 on routes that do not list it, and sees no meter', async () => {
    const k = (await createApiKey(db, { role: 'reader', readerId: 'releveur-08' })).key;
    const ops = await get('/ops', { 'x-api-key': k });
    expect(ops.statusCode).toBe(403);
    expect(ops.json().code).toBe('MG_ERR_AUTH_FORBIDDEN');
    expect((await get('/meters/M1', { 'x-api-key': k })).json()).toEqual({ visible: false });
  });

  it('accepts a JWT with role reader only when it carries a readerId', async () => {
    const good = app.jwt.sign({ sub: 'u7', role: 'reader', readerId: 'releveur-07' });
    const r = await get('/rounds', { authorization: `Bearer ${good}` });
    expect(r.statusCode).toBe(200);
    expect(r.json().who).toEqual({ id: 'jwt:u7', role: 'reader', readerId: 'releveur-07' });
    for (const claims of [
      { sub: 'u8', role: 'reader' },
      { sub: 'u8', role: 'reader', readerId: '' },
      { sub: 'u8', role: 'reader', readerId: 42 },
    ]) {
      const bad = await get('/rounds', { authorization: `Bearer ${app.jwt.sign(claims)}` });
      expect(bad.statusCode).toBe(401);
      expect(bad.json().code).toBe('MG_ERR_AUTH_INVALID_CREDENTIALS');
    }
    const ops = await get('/ops', { authorization: `Bearer ${good}` });
    expect(ops.statusCode).toBe(403);
  });
});
