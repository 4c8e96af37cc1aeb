import type { Migration } from '../platform/index.js';

/**
 * The network in the field: feeders → distribution transformers (postes) → concentrators → connection
 * points (one per meter, WGS 84), outages, reading rounds and work orders. No PostGIS: the map's bbox
 * query runs on a (lon, lat) B-tree, which PGlite has too.
 */
export const FIELD_MIGRATIONS: Migration[] = [
  {
    id: 'field-0001-network',
    sql: `
CREATE TABLE field_feeders (
  id text PRIMARY KEY,
  name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE field_transformers (
  id text PRIMARY KEY,
  feeder_id text REFERENCES field_feeders (id),
  name text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX field_transformers_feeder ON field_transformers (feeder_id);
CREATE TABLE field_concentrators (
  id text PRIMARY KEY,
  transformer_id text REFERENCES field_transformers (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE field_points (
  meter_id text PRIMARY KEY,
  lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  address text,
  commune text,
  province text,
  region text,
  transformer_id text REFERENCES field_transformers (id),
  concentrator_id text REFERENCES field_concentrators (id),
  kind text NOT NULL DEFAULT 'postpaid' CHECK (kind IN ('prepaid', 'postpaid')),
  reading text NOT NULL DEFAULT 'remote' CHECK (reading IN ('remote', 'manual')),
  customer_id text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX field_points_lon_lat ON field_points (lon, lat);
CREATE INDEX field_points_transformer ON field_points (transformer_id);
CREATE INDEX field_points_commune ON field_points (commune)`,
  },
  {
    id: 'field-0002-outages',
    sql: `
CREATE TABLE field_outages (
  id bigserial PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('open', 'closed')),
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  transformer_id text NOT NULL,
  feeder_id text,
  meters text[] NOT NULL,
  customers text[] NOT NULL,
  cause text NOT NULL DEFAULT 'silent',
  detected_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'open') = (ended_at IS NULL))
);
CREATE UNIQUE INDEX field_outages_one_open ON field_outages (transformer_id) WHERE status = 'open';
CREATE INDEX field_outages_started ON field_outages (started_at)`,
  },
  {
    id: 'field-0003-rounds-work-orders',
    sql: `
CREATE TABLE field_rounds (
  id bigserial PRIMARY KEY,
  area text NOT NULL,
  period text NOT NULL,
  reader text NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'suspended', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE field_round_meters (
  round_id bigint NOT NULL REFERENCES field_rounds (id),
  meter_id text NOT NULL,
  seq integer NOT NULL,
  obis text NOT NULL,
  previous_index double precision,
  previous_at timestamptz,
  PRIMARY KEY (round_id, meter_id)
);
CREATE TABLE field_round_readings (
  id bigserial PRIMARY KEY,
  round_id bigint NOT NULL REFERENCES field_rounds (id),
  meter_id text NOT NULL,
  index_value double precision NOT NULL,
  read_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('accepted', 'implausible')),
  reason text,
  anomaly text,
  lat double precision,
  lon double precision,
  photo text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (round_id, meter_id, read_at)
);
CREATE TABLE field_work_orders (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  status text NOT NULL DEFAULT 'open',
  meter_id text NOT NULL,
  new_meter_id text,
  assignee text,
  details jsonb NOT NULL DEFAULT '{}',
  due_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX field_work_orders_meter ON field_work_orders (meter_id);
CREATE TABLE field_meter_exchanges (
  work_order_id bigint PRIMARY KEY REFERENCES field_work_orders (id),
  old_meter_id text NOT NULL,
  new_meter_id text NOT NULL UNIQUE,
  obis text NOT NULL,
  old_final_index double precision NOT NULL CHECK (old_final_index >= 0),
  new_initial_index double precision NOT NULL CHECK (new_initial_index >= 0),
  exchanged_at timestamptz NOT NULL
)`,
  },
  {
    // The last power-down ("last gasp") and power-up each meter reported (its edge's meter events).
    id: 'field-0004-meter-power',
    sql: `
CREATE TABLE field_meter_power (
  meter_id text PRIMARY KEY,
  down_at timestamptz,
  up_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
  },
  {
    // An installation asked for in the agency has no meter yet (the installer names it on completion)
    // but a place: the address, and the position when the customer gave one. The work order keeps
    // the request's tracking number; at most one live work order per request.
    id: 'field-0005-work-order-requests',
    sql: `
ALTER TABLE field_work_orders ALTER COLUMN meter_id DROP NOT NULL;
ALTER TABLE field_work_orders ADD COLUMN tracking_number text;
ALTER TABLE field_work_orders ADD COLUMN customer_id text;
ALTER TABLE field_work_orders ADD COLUMN address text;
ALTER TABLE field_work_orders ADD COLUMN lat double precision CHECK (lat BETWEEN -90 AND 90);
ALTER TABLE field_work_orders ADD COLUMN lon double precision CHECK (lon BETWEEN -180 AND 180);
ALTER TABLE field_work_orders ADD CONSTRAINT field_work_orders_place
  CHECK ((lat IS NULL) = (lon IS NULL));
ALTER TABLE field_work_orders ADD CONSTRAINT field_work_orders_meter_or_request
  CHECK (meter_id IS NOT NULL OR kind = 'installation');
CREATE UNIQUE INDEX field_work_orders_live_request ON field_work_orders (tracking_number)
  WHERE tracking_number IS NOT NULL AND status <> 'cancelled';
CREATE INDEX field_work_orders_lon_lat ON field_work_orders (lon, lat) WHERE lon IS NOT NULL;
-- The map places a claim that names no meter at its customer's connection point.
CREATE INDEX field_points_customer ON field_points (customer_id);
-- Work orders of existing meters take the meter's place.
UPDATE field_work_orders w SET lat = p.lat, lon = p.lon, address = p.address, customer_id = p.customer_id
  FROM field_points p WHERE p.meter_id = w.meter_id`,
  },
];
