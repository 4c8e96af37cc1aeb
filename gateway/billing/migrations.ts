import type { Migration } from '../platform/index.js';

/**
 * The billing domain's schema. It runs AFTER the prepaid ledger's migrations (the composition root
 * applies `[...LEDGER_MIGRATIONS, ...BILLING_MIGRATIONS]`): it extends the ledger's `customers`
 * registry rather than keeping a second one, so a customer is one row whether prepaid or postpaid.
 * Where the ledger is absent (billing's own tests and bench) the base table is created here with the
 * same columns, and the ledger must then not run afterwards.
 *
 * Money is integer centimes (bigint) everywhere in this domain; consumption is integer kWh / m³.
 */
const ACCOUNTS: Migration = {
  id: 'billing-0001-accounts',
  sql: `
CREATE TABLE IF NOT EXISTS customers (
  id text PRIMARY KEY,
  name text NOT NULL,
  social boolean NOT NULL DEFAULT false,
  language text NOT NULL DEFAULT 'fr',
  phone text,
  email text,
  notify jsonb NOT NULL DEFAULT '{"sms": true, "email": false, "lowCredit": true}',
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE customers DROP CONSTRAINT IF EXISTS customers_language_check;
ALTER TABLE customers ADD CONSTRAINT customers_language_check CHECK (language IN ('fr', 'ar', 'en'));
ALTER TABLE customers ADD COLUMN IF NOT EXISTS customer_number text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'prepaid';
ALTER TABLE customers ADD CONSTRAINT customers_kind_check CHECK (kind IN ('prepaid', 'postpaid'));
ALTER TABLE customers ADD COLUMN IF NOT EXISTS civility text;
ALTER TABLE customers ADD CONSTRAINT customers_civility_check CHECK (civility IN ('M', 'Mme'));
ALTER TABLE customers ADD COLUMN IF NOT EXISTS first_name text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS last_name text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS cin text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS birth_date date;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS mobile text;
ALTER TABLE customers ADD COLUMN IF NOT EXISTS landline text;
CREATE UNIQUE INDEX IF NOT EXISTS customers_customer_number ON customers (customer_number);
CREATE INDEX IF NOT EXISTS customers_kind ON customers (kind);
CREATE TABLE billing_tariffs (
  id text NOT NULL,
  effective_from date NOT NULL,
  name text NOT NULL,
  service text NOT NULL CHECK (service IN ('electricity', 'water')),
  currency text NOT NULL,
  example boolean NOT NULL DEFAULT false,
  definition jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, effective_from)
);
CREATE TABLE contracts (
  number text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  service text NOT NULL CHECK (service IN ('electricity', 'water')),
  meter_id text NOT NULL,
  obis text NOT NULL,
  tariff_id text NOT NULL,
  frequency text NOT NULL DEFAULT 'monthly' CHECK (frequency IN ('monthly', 'bimonthly')),
  billing_day integer NOT NULL DEFAULT 5 CHECK (billing_day BETWEEN 1 AND 28),
  subscribed_at date NOT NULL,
  initial_index bigint NOT NULL DEFAULT 0 CHECK (initial_index >= 0),
  social boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contracts_customer ON contracts (customer_id);
CREATE INDEX contracts_meter ON contracts (meter_id)`,
};

/**
 * Bills and the account ledger. A bill is immutable once issued: a trigger refuses any UPDATE that
 * changes anything but \`status\` (which payments move) and any DELETE. Numbers are \`YYYY-NNNNNN\`,
 * gap-free per year: \`bill_counters\` holds the last number of each year and is advanced in the same
 * transaction as the bill insert, so a rolled-back issue leaves no hole. A periodic bill is unique per
 * (contract, period): a run restarted after a crash skips what is already issued.
 *
 * \`account_entries\` is the customer's ledger (append-only): + amounts are owed by the customer
 * (bill, regularisation, instalment falling due…), − amounts are credited (payment, credit note,
 * refund…). The balance is the sum of the entries; \`(kind, reference)\` is unique so each financial
 * write is idempotent.
 */
const BILLS: Migration = {
  id: 'billing-0002-bills',
  sql: `
CREATE TABLE bill_counters (
  year integer PRIMARY KEY,
  last integer NOT NULL CHECK (last >= 0)
);
CREATE TABLE billing_runs (
  id text PRIMARY KEY,
  period text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  total integer NOT NULL DEFAULT 0,
  issued integer NOT NULL DEFAULT 0,
  skipped integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  errors jsonb NOT NULL DEFAULT '[]',
  cursor text NOT NULL DEFAULT '',
  requested_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX billing_runs_period ON billing_runs (period, started_at DESC);
CREATE TABLE bills (
  number text PRIMARY KEY,
  year integer NOT NULL,
  seq integer NOT NULL CHECK (seq > 0),
  kind text NOT NULL CHECK (kind IN ('periodic', 'regularisation', 'credit-note')),
  status text NOT NULL DEFAULT 'issued'
    CHECK (status IN ('issued', 'partially-paid', 'paid', 'overdue', 'in-plan', 'cancelled')),
  customer_id text NOT NULL REFERENCES customers (id),
  customer_number text NOT NULL,
  contract_number text NOT NULL REFERENCES contracts (number),
  meter_id text NOT NULL,
  service text NOT NULL,
  period_key text NOT NULL,
  period_from date NOT NULL,
  period_to date NOT NULL,
  issued_on date NOT NULL,
  due_date date NOT NULL,
  payment_deadline date NOT NULL,
  previous_index bigint NOT NULL,
  previous_quality text NOT NULL CHECK (previous_quality IN ('real', 'self-read', 'estimated')),
  new_index bigint NOT NULL,
  new_quality text NOT NULL CHECK (new_quality IN ('real', 'self-read', 'estimated')),
  consumption bigint NOT NULL,
  estimated boolean NOT NULL,
  tariff_id text NOT NULL,
  currency text NOT NULL,
  lines jsonb NOT NULL,
  months jsonb NOT NULL DEFAULT '[]',
  amount_ht bigint NOT NULL,
  tax bigint NOT NULL,
  amount_ttc bigint NOT NULL,
  previous_balance bigint NOT NULL,
  instalments_due bigint NOT NULL DEFAULT 0,
  instalments jsonb NOT NULL DEFAULT '[]',
  amount_due bigint NOT NULL,
  corrects text REFERENCES bills (number),
  run_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (year, seq),
  CHECK (amount_ttc = amount_ht + tax)
);
CREATE UNIQUE INDEX bills_one_per_period ON bills (contract_number, period_key) WHERE kind <> 'credit-note';
CREATE INDEX bills_customer ON bills (customer_id, period_to);
CREATE INDEX bills_period ON bills (period_key);
CREATE INDEX bills_contract ON bills (contract_number, period_to DESC);
CREATE FUNCTION bills_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'an issued bill is never deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (to_jsonb(NEW) - 'status') <> (to_jsonb(OLD) - 'status') THEN
    RAISE EXCEPTION 'an issued bill is never edited (only its status moves)' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER bills_no_edit BEFORE UPDATE OR DELETE ON bills
  FOR EACH ROW EXECUTE FUNCTION bills_immutable();
CREATE TABLE account_entries (
  id bigserial PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  contract_number text,
  kind text NOT NULL CHECK (kind IN ('bill', 'regularisation', 'credit-note', 'payment', 'refund',
    'instalment', 'instalment-plan', 'deferral', 'adjustment')),
  reference text NOT NULL,
  amount bigint NOT NULL,
  bill_number text REFERENCES bills (number),
  due_date date,
  at timestamptz NOT NULL DEFAULT now(),
  detail jsonb NOT NULL DEFAULT '{}',
  UNIQUE (kind, reference)
);
CREATE INDEX account_entries_customer ON account_entries (customer_id, id);
CREATE INDEX account_entries_bill ON account_entries (bill_number);
CREATE FUNCTION account_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'account_entries is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER account_entries_no_edit BEFORE UPDATE OR DELETE ON account_entries
  FOR EACH ROW EXECUTE FUNCTION account_entries_append_only();
CREATE TABLE bill_deliveries (
  bill_number text NOT NULL REFERENCES bills (number),
  channel text NOT NULL CHECK (channel IN ('sms', 'email')),
  outbox_id text,
  status text NOT NULL,
  error text,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bill_number, channel)
)`,
};

/**
 * Payments (issue 16 §7) and allocation. A payment is one row per (channel, reference) — the channel's
 * own reference makes recording idempotent — plus its `account_entries` credit. Allocations pair a
 * credit entry (payment, credit note, plan…) with a debit entry (bill, instalment, refund…), oldest
 * due first; each side's allocations never exceed its amount (checked by the allocator, proven by the
 * property test). Not named `payments`: the prepaid ledger has that table.
 *
 * `audit_log` is the ledger's (prepaid) table; created here with the same columns only where the
 * ledger is absent (billing's own tests), as `customers` is.
 */
const PAYMENTS: Migration = {
  id: 'billing-0003-payments',
  sql: `
CREATE TABLE IF NOT EXISTS audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE SEQUENCE bill_payment_receipts;
CREATE TABLE bill_payments (
  id text PRIMARY KEY,
  receipt_number text NOT NULL UNIQUE,
  customer_id text NOT NULL REFERENCES customers (id),
  bill_number text REFERENCES bills (number),
  channel text NOT NULL CHECK (channel IN ('agency', 'transfer', 'wallet', 'card')),
  reference text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  entry_id bigint NOT NULL REFERENCES account_entries (id),
  recorded_by text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, reference)
);
CREATE INDEX bill_payments_customer ON bill_payments (customer_id, at DESC);
CREATE TABLE payment_allocations (
  id bigserial PRIMARY KEY,
  credit_entry bigint NOT NULL REFERENCES account_entries (id),
  debit_entry bigint NOT NULL REFERENCES account_entries (id),
  amount bigint NOT NULL CHECK (amount > 0),
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_allocations_credit ON payment_allocations (credit_entry);
CREATE INDEX payment_allocations_debit ON payment_allocations (debit_entry);
CREATE TABLE checkout_sessions (
  id text PRIMARY KEY,
  provider text NOT NULL,
  customer_id text NOT NULL REFERENCES customers (id),
  bill_numbers jsonb NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  return_url text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'declined')),
  payment_id text REFERENCES bill_payments (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE TABLE payment_callbacks (
  id bigserial PRIMARY KEY,
  provider text NOT NULL,
  session_id text,
  outcome text NOT NULL,
  reason text,
  at timestamptz NOT NULL DEFAULT now()
)`,
};

/**
 * Instalment plans and deferrals (issue 16 §6). An active plan credits the bill's remaining amount
 * (`account_entries` kind instalment-plan / deferral, allocated to that bill only) and its
 * instalments become debits (kind instalment) on the bills issued from their month on. At most one
 * live (requested or active) plan per bill.
 */
const PLANS: Migration = {
  id: 'billing-0004-plans',
  sql: `
CREATE TABLE instalment_plans (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  bill_number text NOT NULL REFERENCES bills (number),
  kind text NOT NULL CHECK (kind IN ('instalments', 'deferral')),
  months integer CHECK (months BETWEEN 1 AND 12),
  deferred_until text,
  origin text NOT NULL CHECK (origin IN ('automatic', 'customer', 'operator')),
  status text NOT NULL CHECK (status IN ('requested', 'active', 'refused', 'completed')),
  amount bigint NOT NULL CHECK (amount > 0),
  requested_by text NOT NULL,
  decided_by text,
  decided_at timestamptz,
  settled_early_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX instalment_plans_one_live ON instalment_plans (bill_number) WHERE status IN ('requested', 'active');
CREATE INDEX instalment_plans_customer ON instalment_plans (customer_id, created_at DESC);
CREATE INDEX instalment_plans_status ON instalment_plans (status);
CREATE TABLE plan_instalments (
  plan_id text NOT NULL REFERENCES instalment_plans (id),
  seq integer NOT NULL CHECK (seq > 0),
  amount bigint NOT NULL CHECK (amount > 0),
  due_month text NOT NULL,
  entry_id bigint REFERENCES account_entries (id),
  PRIMARY KEY (plan_id, seq)
)`,
};

/**
 * Reminders (issue 16 §9): one row per (bill, step, channel), claimed before sending, so a step is
 * never sent twice, even across restarts (a claim left by a crash is resent with the same outbox
 * dedupe key). `status` is the outbox's answer, or skipped / no-channel.
 */
const REMINDERS: Migration = {
  id: 'billing-0005-reminders',
  sql: `
CREATE TABLE bill_reminders (
  bill_number text NOT NULL REFERENCES bills (number),
  step text NOT NULL,
  channel text NOT NULL CHECK (channel IN ('sms', 'email', 'none')),
  customer_id text NOT NULL REFERENCES customers (id),
  scheduled_for date NOT NULL,
  status text NOT NULL,
  outbox_id text,
  error text,
  at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (bill_number, step, channel)
);
CREATE INDEX bill_reminders_customer ON bill_reminders (customer_id, scheduled_for DESC);
CREATE INDEX bill_reminders_sending ON bill_reminders (status) WHERE status = 'sending'`,
};

export const BILLING_MIGRATIONS: readonly Migration[] = [ACCOUNTS, BILLS, PAYMENTS, PLANS, REMINDERS];
