import type { Migration } from '../../platform/index.js';

/**
 * Raw readings (SQL stores) and the per-meter live state. `meter_last_reading` is in SQL whatever the
 * reading store: the meters list needs it and only live (non-historical) readings move it forward.
 * `ingest_dead_letters` keeps rejected messages (bounded by the ingest pipeline).
 */
export const READINGS_MIGRATIONS: Migration[] = [
  {
    id: 'readings-0001-readings',
    sql: `
CREATE TABLE IF NOT EXISTS readings (
  meter_id text NOT NULL,
  ts timestamptz NOT NULL,
  seq int8 NOT NULL,
  "values" jsonb NOT NULL,
  quality text NOT NULL,
  source text NOT NULL,
  historical boolean NOT NULL DEFAULT false,
  stored_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meter_id, ts)
);
CREATE TABLE IF NOT EXISTS meter_last_reading (
  meter_id text PRIMARY KEY,
  ts timestamptz NOT NULL,
  seq int8 NOT NULL,
  "values" jsonb NOT NULL,
  quality text NOT NULL,
  source text NOT NULL,
  first_seen timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ingest_dead_letters (
  id bigserial PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  topic text NOT NULL,
  code text NOT NULL,
  reason text NOT NULL,
  payload text NOT NULL,
  payload_bytes integer NOT NULL
)`,
  },
];
