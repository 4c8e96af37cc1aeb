import type { Migration } from '../../platform/index.js';

/** Self-readings, accepted and refused (the refusals are kept for the customer service's view). */
export const SELF_READING_MIGRATIONS: Migration[] = [
  {
    id: 'analytics-0030-self-readings',
    sql: `
CREATE TABLE IF NOT EXISTS self_readings (
  id bigserial PRIMARY KEY,
  meter_id text NOT NULL,
  obis text NOT NULL,
  index_value double precision NOT NULL,
  read_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('accepted', 'refused')),
  refusal_code text,
  submitted_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS self_readings_meter ON self_readings (meter_id, obis, read_at DESC)`,
  },
];
