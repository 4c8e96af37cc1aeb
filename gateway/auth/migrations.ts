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
];
