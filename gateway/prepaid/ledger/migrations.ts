import type { Migration } from '../../platform/index.js';
import { KEYS_MIGRATIONS } from '../../platform/index.js';
import { AUTH_MIGRATIONS } from '../../platform/index.js';

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
  {
    // Issue 21.11: a PAN identifies one meter; a requestId is unique per vendor (two vendors may
    // use the same one), staff requests sharing the '' scope.
    id: 'ledger-0004-unique-pan-vendor-requests',
    sql: `
CREATE UNIQUE INDEX meters_pan_unique ON meters (pan);
ALTER TABLE vends ADD COLUMN request_scope text GENERATED ALWAYS AS (COALESCE(vendor_id, '')) STORED;
ALTER TABLE vends DROP CONSTRAINT vends_request_id_key;
CREATE UNIQUE INDEX vends_scope_request ON vends (request_scope, request_id)`,
  },
  {
    // Issue 22: vending operations. Reversals are contra-entries (a 'reversal' vend with negative
    // money and units, a negative payment, a negative recovery), never edits of the original;
    // free basic electricity has its own vends and one row per meter and calendar month; vendors
    // carry a float (or credit limit) moved only through vendor_movements; shifts group a vendor's
    // movements for the cash-up; key changes scheduled on a meter ride on its next purchase.
    id: 'ledger-0005-vending-operations',
    sql: `
ALTER TABLE vends DROP CONSTRAINT vends_kind_check;
ALTER TABLE vends ADD CONSTRAINT vends_kind_check
  CHECK (kind IN ('purchase', 'advance', 'management', 'key-change', 'reversal', 'free-basic'));
ALTER TABLE vends ADD COLUMN reversal_of text REFERENCES vends (id);
CREATE UNIQUE INDEX vends_reversal_of ON vends (reversal_of) WHERE reversal_of IS NOT NULL;
ALTER TABLE tokens DROP CONSTRAINT tokens_status_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_status_check
  CHECK (status IN ('issued', 'sent', 'accepted', 'rejected', 'cancelled'));
ALTER TABLE payments DROP CONSTRAINT payments_amount_check;
ALTER TABLE payments ADD COLUMN refund_to text CHECK (refund_to IN ('vendor', 'customer'));
ALTER TABLE payments ADD CONSTRAINT payments_refund_sign CHECK ((amount >= 0) = (refund_to IS NULL));
ALTER TABLE recoveries DROP CONSTRAINT recoveries_amount_check;
ALTER TABLE recoveries ADD CONSTRAINT recoveries_amount_nonzero CHECK (amount <> 0);
ALTER TABLE programmes ADD COLUMN fbe_units numeric(12,1) NOT NULL DEFAULT 0 CHECK (fbe_units >= 0);
CREATE TABLE free_basic (
  meter_id text NOT NULL REFERENCES meters (id),
  month text NOT NULL,
  vend_id text NOT NULL UNIQUE REFERENCES vends (id),
  customer_id text NOT NULL REFERENCES customers (id),
  units numeric(12,1) NOT NULL CHECK (units > 0),
  value numeric(14,2) NOT NULL CHECK (value >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meter_id, month)
);
CREATE TABLE vendors (
  id text PRIMARY KEY,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('agency', 'shop', 'bank', 'mobile')),
  agency_id text,
  mode text NOT NULL DEFAULT 'float' CHECK (mode IN ('float', 'credit')),
  balance numeric(14,2) NOT NULL DEFAULT 0,
  credit_limit numeric(14,2) NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
  commission_percent numeric(5,2) NOT NULL DEFAULT 0 CHECK (commission_percent BETWEEN 0 AND 100),
  hours jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (balance >= -credit_limit)
);
CREATE TABLE shifts (
  id text PRIMARY KEY,
  vendor_id text NOT NULL REFERENCES vendors (id),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_by text NOT NULL,
  opened_at timestamptz NOT NULL,
  opening_cash numeric(14,2) NOT NULL DEFAULT 0,
  closed_by text,
  closed_at timestamptz,
  expected_cash numeric(14,2),
  counted_cash numeric(14,2),
  variance numeric(14,2)
);
CREATE UNIQUE INDEX shifts_one_open ON shifts (vendor_id) WHERE status = 'open';
CREATE TABLE vendor_movements (
  id bigserial PRIMARY KEY,
  vendor_id text NOT NULL REFERENCES vendors (id),
  kind text NOT NULL CHECK (kind IN ('top-up', 'settlement', 'vend', 'reversal')),
  vend_id text REFERENCES vends (id),
  shift_id text REFERENCES shifts (id),
  request_id text,
  amount numeric(14,2) NOT NULL,
  cash numeric(14,2) NOT NULL DEFAULT 0,
  commission numeric(14,2) NOT NULL DEFAULT 0,
  actor text NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (vendor_id, request_id)
);
CREATE INDEX vendor_movements_vendor ON vendor_movements (vendor_id, created_at);
CREATE INDEX vendor_movements_shift ON vendor_movements (shift_id);
CREATE TABLE key_changes (
  id text PRIMARY KEY,
  meter_id text NOT NULL REFERENCES meters (id),
  request_id text NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'issued', 'confirmed')),
  target jsonb NOT NULL,
  tokens jsonb,
  new_last_tid integer,
  carried_by text[] NOT NULL DEFAULT '{}',
  reason text,
  requested_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  issued_at timestamptz,
  confirmed_at timestamptz
);
CREATE UNIQUE INDEX key_changes_pending ON key_changes (meter_id) WHERE status <> 'confirmed'`,
  },
  {
    // Issue 22.9: a meter record says its token scheme. OpenPAYGO devices (solar PAYG) have no STS
    // identity: their secret key is a vault entry (key_ref), their counter and settings in opaygo;
    // their tokens' count is stored as the token's tid (unique per device, like an STS TID).
    id: 'ledger-0006-token-scheme',
    sql: `
ALTER TABLE meters ADD COLUMN token_scheme text NOT NULL DEFAULT 'sts' CHECK (token_scheme IN ('sts', 'openpaygo'));
ALTER TABLE meters ADD COLUMN opaygo jsonb;
ALTER TABLE meters ALTER COLUMN pan DROP NOT NULL, ALTER COLUMN sgc DROP NOT NULL, ALTER COLUMN ti DROP NOT NULL,
  ALTER COLUMN krn DROP NOT NULL, ALTER COLUMN kt DROP NOT NULL, ALTER COLUMN ken DROP NOT NULL,
  ALTER COLUMN ea DROP NOT NULL, ALTER COLUMN dkga DROP NOT NULL, ALTER COLUMN base_date DROP NOT NULL;
ALTER TABLE meters ADD CONSTRAINT meters_scheme_fields CHECK (
  (token_scheme = 'sts' AND pan IS NOT NULL AND sgc IS NOT NULL AND ti IS NOT NULL AND krn IS NOT NULL
     AND kt IS NOT NULL AND ken IS NOT NULL AND ea IS NOT NULL AND dkga IS NOT NULL AND base_date IS NOT NULL)
  OR (token_scheme = 'openpaygo' AND opaygo IS NOT NULL))`,
  },
  {
    // Issue 22.5: mobile recharge teams selling offline. An allowance reserves part of a vendor's
    // float for one device; the device's offline sales come back by (device, sequence), each
    // reconciled exactly once; whatever does not fit (duplicate with other digits, overspend,
    // unknown meter, TID already used) is an anomaly, never a silent ledger change.
    id: 'ledger-0007-offline-vending',
    sql: `
ALTER TABLE vendor_movements DROP CONSTRAINT vendor_movements_kind_check;
ALTER TABLE vendor_movements ADD CONSTRAINT vendor_movements_kind_check
  CHECK (kind IN ('top-up', 'settlement', 'vend', 'reversal', 'offline-allowance', 'offline-release', 'offline-overspend'));
CREATE TABLE offline_allowances (
  id text PRIMARY KEY,
  vendor_id text NOT NULL REFERENCES vendors (id),
  device_id text NOT NULL,
  request_id text NOT NULL,
  amount numeric(14,2) NOT NULL CHECK (amount > 0),
  spent numeric(14,2) NOT NULL DEFAULT 0,
  meters text[] NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  closed_at timestamptz,
  UNIQUE (vendor_id, request_id)
);
CREATE TABLE offline_vends (
  device_id text NOT NULL,
  seq integer NOT NULL,
  allowance_id text NOT NULL REFERENCES offline_allowances (id),
  vend_id text NOT NULL UNIQUE REFERENCES vends (id),
  meter_id text NOT NULL,
  digits text NOT NULL,
  amount numeric(14,2) NOT NULL,
  sold_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, seq)
);
CREATE TABLE offline_anomalies (
  id bigserial PRIMARY KEY,
  allowance_id text NOT NULL REFERENCES offline_allowances (id),
  device_id text NOT NULL,
  seq integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('conflict', 'overspend', 'unknown-meter', 'tid-used')),
  detail jsonb NOT NULL DEFAULT '{}',
  at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (device_id, seq, kind)
)`,
  },
  {
    // Issue 22.1: after the meter accepted a token the sale cannot be reversed; an operator may
    // refund money with a credit note (units stay delivered): its own vend, negative money, no units.
    id: 'ledger-0008-credit-notes',
    sql: `
ALTER TABLE vends DROP CONSTRAINT vends_kind_check;
ALTER TABLE vends ADD CONSTRAINT vends_kind_check
  CHECK (kind IN ('purchase', 'advance', 'management', 'key-change', 'reversal', 'free-basic', 'credit-note'));
ALTER TABLE vends ADD COLUMN credit_note_of text REFERENCES vends (id);
CREATE INDEX vends_credit_note_of ON vends (credit_note_of) WHERE credit_note_of IS NOT NULL`,
  },
  {
    // Offline sales priced by the tariff blocks: the allowance keeps, per meter, the pricing the
    // device was given (tariff, month position), moved on by each reconciled sale, so the centre
    // re-prices every offline sale as the device had to; a sale priced otherwise is an anomaly.
    id: 'ledger-0009-offline-pricing',
    sql: `
ALTER TABLE offline_allowances ADD COLUMN pricing jsonb;
ALTER TABLE offline_anomalies DROP CONSTRAINT offline_anomalies_kind_check;
ALTER TABLE offline_anomalies ADD CONSTRAINT offline_anomalies_kind_check
  CHECK (kind IN ('conflict', 'overspend', 'unknown-meter', 'tid-used', 'price'))`,
  },
  {
    // The offline pricing per (allowance, meter) in its own rows: a sale reads and moves on only
    // its meter's position, not a document of every meter of the allowance (up to 5,000).
    id: 'ledger-0010-offline-pricing-rows',
    sql: `
ALTER TABLE offline_allowances DROP COLUMN pricing;
CREATE TABLE offline_pricing (
  allowance_id text NOT NULL REFERENCES offline_allowances (id),
  meter_id text NOT NULL,
  tariff jsonb NOT NULL,
  social boolean NOT NULL,
  position jsonb NOT NULL,
  PRIMARY KEY (allowance_id, meter_id)
)`,
  },
  {
    // Issue 26.5: a prepaid meter exchanged in the field. The credit left on the old meter is
    // closed there and opened on the new one by a 'credit-transfer' vend (no money) carrying a
    // credit token under the new meter's key; the old meter's outstanding advance moves with it.
    // One transfer per old meter, ever.
    id: 'ledger-0011-credit-transfers',
    sql: `
ALTER TABLE vends DROP CONSTRAINT vends_kind_check;
ALTER TABLE vends ADD CONSTRAINT vends_kind_check
  CHECK (kind IN ('purchase', 'advance', 'management', 'key-change', 'reversal', 'free-basic', 'credit-note',
                  'credit-transfer'));
CREATE TABLE credit_transfers (
  vend_id text PRIMARY KEY REFERENCES vends (id),
  customer_id text NOT NULL REFERENCES customers (id),
  from_meter_id text NOT NULL UNIQUE REFERENCES meters (id),
  to_meter_id text NOT NULL REFERENCES meters (id),
  units numeric(12,1) NOT NULL CHECK (units >= 0),
  advance numeric(14,2) NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  CHECK (from_meter_id <> to_meter_id)
);
CREATE INDEX credit_transfers_to ON credit_transfers (to_meter_id)`,
  },
];

/** Everything the vending ledger needs, in order (api keys and the key vault included). */
export const LEDGER_MIGRATIONS: readonly Migration[] = [...AUTH_MIGRATIONS, ...KEYS_MIGRATIONS, ...LEDGER];
