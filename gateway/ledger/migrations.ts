import type { Migration } from '../db/index.js';
import { KEYS_MIGRATIONS } from '../keys/index.js';
import { AUTH_MIGRATIONS } from '../auth/index.js';

/**
 * Tokens are unique per (meter, base date, TID): a TID counts minutes from the meter's base date,
 * so after a rollover key change (RO=1, new base date) the same number is a different minute.
 *
 * The prepaid ledger (ARCHITECTURE.md "Storage"). Money is numeric(14,2) in the tariff currency,
 * units numeric(12,1) (STS credit resolution is 0.1 kWh / 0.1 m³). Key material never sits in
 * these tables: meters point at `key_vault` entries (gateway/keys).
 */
const LEDGER: Migration[] = [
  {
    id: 'ledger-0001-registry',
    sql: `
CREATE TABLE programmes (
  id text PRIMARY KEY,
  name text NOT NULL,
  recovery_mode text NOT NULL DEFAULT 'percent' CHECK (recovery_mode IN ('percent', 'fixed', 'full')),
  recovery_value numeric(14,2) NOT NULL DEFAULT 25,
  max_advance_units numeric(12,1) NOT NULL DEFAULT 20,
  outstanding_limit numeric(14,2) NOT NULL DEFAULT 50
);
CREATE TABLE customers (
  id text PRIMARY KEY,
  name text NOT NULL,
  social boolean NOT NULL DEFAULT false,
  language text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
  phone text,
  email text,
  notify jsonb NOT NULL DEFAULT '{"sms": true, "email": false, "lowCredit": true}',
  programme_id text REFERENCES programmes (id),
  recovery_mode text CHECK (recovery_mode IN ('percent', 'fixed', 'full')),
  recovery_value numeric(14,2),
  debt numeric(14,2) NOT NULL DEFAULT 0 CHECK (debt >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE tariffs (
  id text PRIMARY KEY,
  name text NOT NULL,
  supply text NOT NULL CHECK (supply IN ('electricity', 'water', 'gas')),
  currency text NOT NULL,
  definition jsonb NOT NULL,
  example boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE meters (
  id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (id),
  tariff_id text NOT NULL REFERENCES tariffs (id),
  supply text NOT NULL CHECK (supply IN ('electricity', 'water', 'gas')),
  pan text NOT NULL,
  sgc text NOT NULL,
  ti integer NOT NULL,
  krn integer NOT NULL,
  kt integer NOT NULL,
  ken integer NOT NULL,
  ea text NOT NULL CHECK (ea IN ('07', '11')),
  dkga text NOT NULL CHECK (dkga IN ('02', '04')),
  base_date integer NOT NULL CHECK (base_date IN (1993, 2014, 2035)),
  key_ref text NOT NULL REFERENCES key_vault (id),
  sta_ref text REFERENCES key_vault (id),
  connected boolean NOT NULL DEFAULT false,
  last_tid integer,
  position_month text,
  position_units numeric(12,1) NOT NULL DEFAULT 0,
  position_fixed numeric(14,2) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meters_customer ON meters (customer_id)`,
  },
  {
    id: 'ledger-0002-books',
    sql: `
CREATE TABLE vends (
  id text PRIMARY KEY,
  request_id text NOT NULL UNIQUE,
  request_hash text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('purchase', 'advance', 'management', 'key-change')),
  meter_id text NOT NULL REFERENCES meters (id),
  customer_id text NOT NULL REFERENCES customers (id),
  vendor_id text,
  principal_id text NOT NULL,
  money numeric(14,2) NOT NULL DEFAULT 0,
  tax numeric(14,2) NOT NULL DEFAULT 0,
  fixed_charges numeric(14,2) NOT NULL DEFAULT 0,
  debt_recovered numeric(14,2) NOT NULL DEFAULT 0,
  energy_money numeric(14,2) NOT NULL DEFAULT 0,
  units numeric(12,1) NOT NULL DEFAULT 0,
  receipt jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vends_meter ON vends (meter_id, created_at);
CREATE INDEX vends_customer ON vends (customer_id, created_at);
CREATE INDEX vends_vendor ON vends (vendor_id, created_at);
CREATE TABLE tokens (
  id bigserial PRIMARY KEY,
  vend_id text NOT NULL REFERENCES vends (id),
  meter_id text NOT NULL REFERENCES meters (id),
  tid integer,
  base_date integer NOT NULL,
  krn integer NOT NULL,
  token_class integer NOT NULL,
  subclass integer NOT NULL,
  digits text NOT NULL,
  units numeric(12,1) NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'sent', 'accepted', 'rejected')),
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (meter_id, base_date, tid)
);
CREATE INDEX tokens_vend ON tokens (vend_id);
CREATE INDEX tokens_digits ON tokens (meter_id, digits);
CREATE TABLE payments (
  id bigserial PRIMARY KEY,
  vend_id text NOT NULL UNIQUE REFERENCES vends (id),
  customer_id text NOT NULL REFERENCES customers (id),
  vendor_id text,
  amount numeric(14,2) NOT NULL CHECK (amount >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE advances (
  id bigserial PRIMARY KEY,
  vend_id text NOT NULL UNIQUE REFERENCES vends (id),
  customer_id text NOT NULL REFERENCES customers (id),
  meter_id text NOT NULL REFERENCES meters (id),
  units numeric(12,1) NOT NULL CHECK (units > 0),
  value numeric(14,2) NOT NULL CHECK (value >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE recoveries (
  id bigserial PRIMARY KEY,
  vend_id text NOT NULL UNIQUE REFERENCES vends (id),
  customer_id text NOT NULL REFERENCES customers (id),
  amount numeric(14,2) NOT NULL CHECK (amount > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX advances_customer ON advances (customer_id);
CREATE INDEX recoveries_customer ON recoveries (customer_id)`,
  },
  {
    id: 'ledger-0003-audit',
    sql: `
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`,
  },
];

/** Everything the vending ledger needs, in order (api keys and the key vault included). */
export const LEDGER_MIGRATIONS: readonly Migration[] = [...AUTH_MIGRATIONS, ...KEYS_MIGRATIONS, ...LEDGER];
