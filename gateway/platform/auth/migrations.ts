import type { Migration } from '../db/index.js';

/** API keys live in the ledger database; only a SHA-256 of the secret part is stored. */
export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    id: 'auth-0001-api-keys',
    sql: `
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  secret_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'operator', 'vendor', 'customer')),
  vendor_id text,
  customer_id text,
  label text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK (role <> 'vendor' OR vendor_id IS NOT NULL),
  CHECK (role <> 'customer' OR customer_id IS NOT NULL)
)`,
  },
  {
    // The meter reader: least privilege for the field app, scoped to the rounds assigned to reader_id.
    // The role CHECK was declared inline, so PostgreSQL named it api_keys_role_check.
    id: 'auth-0002-reader-role',
    sql: `
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
  CHECK (role IN ('admin', 'operator', 'vendor', 'customer', 'reader'));
ALTER TABLE api_keys ADD COLUMN reader_id text;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_reader_id_check CHECK (role <> 'reader' OR reader_id IS NOT NULL)`,
  },
];
