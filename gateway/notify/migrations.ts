import type { Migration } from '../db/index.js';

/**
 * Per-customer notification preferences and the delivery ledger. A delivery row per (idempotency key,
 * channel) is what makes a notification go out once: a retry sends only on channels not yet sent.
 */
export const NOTIFY_MIGRATIONS: Migration[] = [
  {
    id: 'analytics-0010-notify',
    sql: `
CREATE TABLE IF NOT EXISTS notify_preferences (
  customer_id text PRIMARY KEY,
  language text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
  channels text[] NOT NULL DEFAULT '{}',
  webhook_url text,
  webhook_secret text,
  sms_to text,
  email_to text,
  muted_kinds text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS notify_deliveries (
  idempotency_key text NOT NULL,
  channel text NOT NULL,
  customer_id text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 1,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  PRIMARY KEY (idempotency_key, channel)
);
CREATE INDEX IF NOT EXISTS notify_deliveries_customer ON notify_deliveries (customer_id, created_at DESC)`,
  },
];
