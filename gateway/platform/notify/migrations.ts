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
  {
    // The message outbox: every SMS, e-mail and webhook the system sent or tried, with its rendered
    // text and delivery status. (dedupe_key, channel) makes a message go out once, across retries and restarts.
    // Attachments are kept (base64 in jsonb) so a failed e-mail can be retried as it was rendered.
    id: 'notify-0020-outbox',
    sql: `
CREATE TABLE IF NOT EXISTS notify_outbox (
  id text PRIMARY KEY,
  dedupe_key text,
  channel text NOT NULL CHECK (channel IN ('sms', 'email', 'webhook')),
  to_address text NOT NULL,
  template text NOT NULL,
  language text NOT NULL CHECK (language IN ('fr', 'ar', 'en')),
  subject text,
  text text NOT NULL,
  customer_id text,
  data jsonb,
  attachments jsonb NOT NULL DEFAULT '[]',
  status text NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'outbox-only')),
  reason text,
  attempts integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  UNIQUE (dedupe_key, channel)
);
CREATE INDEX IF NOT EXISTS notify_outbox_to ON notify_outbox (to_address, created_at DESC);
CREATE INDEX IF NOT EXISTS notify_outbox_customer ON notify_outbox (customer_id, created_at DESC);
CREATE INDEX IF NOT EXISTS notify_outbox_created ON notify_outbox (created_at DESC);
ALTER TABLE notify_preferences DROP CONSTRAINT IF EXISTS notify_preferences_language_check;
ALTER TABLE notify_preferences ADD CONSTRAINT notify_preferences_language_check CHECK (language IN ('fr', 'ar', 'en'))`,
  },
];
