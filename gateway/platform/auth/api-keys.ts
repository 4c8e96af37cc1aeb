import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlExecutor } from '../db/index.js';
import { GatewayError } from '../errors/index.js';
import './errors.js';
import { isRole, type Principal, type Role } from './principal.js';

/**
 * API keys: `mgk_<id>_<secret>`. The id (8 random bytes, hex) is the lookup key and is safe to log;
 * the secret is 32 random bytes (base64url). Only SHA-256(secret) is stored: with 256 bits of
 * entropy there is no dictionary to slow down, so a fast hash is as strong as scrypt here (OWASP
 * Password Storage Cheat Sheet applies slow KDFs to low-entropy passwords) and verifying a key
 * costs microseconds per request.
 */
const KEY_RE = /^mgk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface CreateApiKeyOptions {
  role: Role;
  vendorId?: string;
  customerId?: string;
  /** Role reader: the meter reader the key belongs to (the `reader` of their reading rounds). */
  readerId?: string;
  label?: string;
  /** Alias of `label`. */
  name?: string;
}

export interface ApiKeyInfo {
  id: string;
  role: Role;
  vendorId: string | null;
  customerId: string | null;
  readerId: string | null;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** A meter reader's id as a round's `reader` holds it: 1 to 100 characters, not only blanks. */
export function isReaderId(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.trim().length <= 100;
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Create a key; the returned `key` is the only time the secret exists outside the caller. */
export async function createApiKey(
  db: SqlExecutor,
  options: CreateApiKeyOptions,
): Promise<{ id: string; key: string }> {
  if (!isRole(options.role)) {
    throw new GatewayError('MG_ERR_AUTH_ROLE');
  }
  if (options.role === 'vendor' && !options.vendorId) {
    throw new GatewayError('MG_ERR_AUTH_ROLE');
  }
  if (options.role === 'customer' && !options.customerId) {
    throw new GatewayError('MG_ERR_AUTH_ROLE');
  }
  // A round's `reader` is 1 to 100 characters: a reader id outside that could never match a round.
  if (options.role === 'reader' && !isReaderId(options.readerId)) {
    throw new GatewayError('MG_ERR_AUTH_ROLE');
  }
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  await db.query(
    `INSERT INTO api_keys (id, secret_hash, role, vendor_id, customer_id, reader_id, label)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      id,
      hashSecret(secret).toString('hex'),
      options.role,
      options.role === 'vendor' ? options.vendorId : null,
      options.role === 'customer' ? options.customerId : null,
      options.role === 'reader' ? options.readerId!.trim() : null,
      options.label ?? options.name ?? '',
    ],
  );
  return { id, key: `mgk_${id}_${secret}` };
}

interface KeyRow {
  id: string;
  secret_hash: string;
  role: string;
  vendor_id: string | null;
  customer_id: string | null;
  reader_id: string | null;
  revoked_at: Date | null;
}

/** Verify a presented key: the principal, or null for anything malformed, unknown, wrong or revoked. */
export async function verifyApiKey(db: SqlExecutor, presented: string): Promise<Principal | null> {
  const m = KEY_RE.exec(presented);
  if (!m) return null;
  const [, id, secret] = m as unknown as [string, string, string];
  const { rows } = await db.query<KeyRow>(
    'SELECT id, secret_hash, role, vendor_id, customer_id, reader_id, revoked_at FROM api_keys WHERE id = $1',
    [id],
  );
  const row = rows[0];
  if (!row || row.revoked_at || !isRole(row.role)) return null;
  const expected = Buffer.from(row.secret_hash, 'hex');
  const actual = hashSecret(secret);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  const principal: Principal = { id: `key:${row.id}`, role: row.role };
  if (row.vendor_id) principal.vendorId = row.vendor_id;
  if (row.customer_id) principal.customerId = row.customer_id;
  if (row.reader_id) principal.readerId = row.reader_id;
  // Deny by default: a reader key without its reader (the CHECK forbids it) reaches nothing.
  if (principal.role === 'reader' && !principal.readerId) return null;
  return principal;
}

export async function revokeApiKey(db: SqlExecutor, id: string): Promise<boolean> {
  const r = await db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [
    id,
  ]);
  return r.rowCount > 0;
}

export async function listApiKeys(db: SqlExecutor): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<{
    id: string;
    role: Role;
    vendor_id: string | null;
    customer_id: string | null;
    reader_id: string | null;
    label: string;
    created_at: Date;
    revoked_at: Date | null;
  }>(
    'SELECT id, role, vendor_id, customer_id, reader_id, label, created_at, revoked_at FROM api_keys ORDER BY created_at, id',
  );
  return rows.map((r) => ({
    id: r.id,
    role: r.role,
    vendorId: r.vendor_id,
    customerId: r.customer_id,
    readerId: r.reader_id,
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}
