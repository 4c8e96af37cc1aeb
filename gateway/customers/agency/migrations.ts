import type { Migration } from '../../platform/index.js';

/**
 * The online agency's schema: customer accounts (one per customer, linked to the shared `customers`
 * registry), their sessions (only a hash of the session id is stored), and the claims and requests
 * with their status history, message thread and attachments.
 */
const ACCOUNTS: Migration = {
  id: 'agency-0001-accounts',
  sql: `
CREATE TABLE agency_users (
  id text PRIMARY KEY,
  username text NOT NULL,
  customer_id text NOT NULL UNIQUE,
  service text NOT NULL CHECK (service IN ('electricity', 'water', 'both')),
  email text,
  mobile text NOT NULL,
  language text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'ar', 'en')),
  password_hash text NOT NULL,
  must_change_password boolean NOT NULL DEFAULT true,
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  locked_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz
);
CREATE UNIQUE INDEX agency_users_username ON agency_users (lower(username));
CREATE TABLE agency_sessions (
  id_hash text PRIMARY KEY,
  user_id text NOT NULL REFERENCES agency_users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX agency_sessions_user ON agency_sessions (user_id);
`,
};

const CASES: Migration = {
  id: 'agency-0002-cases',
  sql: `
CREATE SEQUENCE agency_case_seq;
CREATE TABLE agency_cases (
  tracking_number text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('claim', 'request')),
  category text NOT NULL,
  customer_id text NOT NULL,
  subject text NOT NULL,
  message text NOT NULL,
  bill text,
  meter text,
  token text,
  details jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL CHECK (status IN ('submitted', 'acknowledged', 'in-progress', 'resolved', 'rejected')),
  target_date date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_cases_customer ON agency_cases (customer_id, created_at DESC);
CREATE INDEX agency_cases_queue ON agency_cases (status, target_date);
CREATE TABLE agency_case_events (
  tracking_number text NOT NULL REFERENCES agency_cases (tracking_number),
  seq integer NOT NULL,
  status text NOT NULL,
  actor text NOT NULL,
  note text,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tracking_number, seq)
);
CREATE TABLE agency_case_messages (
  tracking_number text NOT NULL REFERENCES agency_cases (tracking_number),
  seq integer NOT NULL,
  author text NOT NULL CHECK (author IN ('customer', 'operator')),
  text text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tracking_number, seq)
);
CREATE TABLE agency_attachments (
  id text PRIMARY KEY,
  tracking_number text NOT NULL REFERENCES agency_cases (tracking_number),
  filename text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL,
  sha256 text NOT NULL,
  content bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_attachments_case ON agency_attachments (tracking_number);
`,
};

export const AGENCY_MIGRATIONS: readonly Migration[] = [ACCOUNTS, CASES];
