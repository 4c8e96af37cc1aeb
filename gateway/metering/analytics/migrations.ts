import type { Migration } from '../../platform/index.js';

/**
 * Anomalies found on the daily rollups. One row per episode: while an anomaly of a kind is open or
 * acknowledged for a (meter, register), later scans update it (last_day, detections, evidence)
 * instead of adding rows — the partial unique index is the deduplication. Resolving ends the
 * episode; the same condition seen again on a later day opens a new one.
 */
export const ANALYTICS_MIGRATIONS: Migration[] = [
  {
    id: 'analytics-0001-anomalies',
    sql: `
CREATE TABLE IF NOT EXISTS analytics_anomalies (
  id bigserial PRIMARY KEY,
  meter_id text NOT NULL,
  obis text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
  first_day date NOT NULL,
  last_day date NOT NULL,
  detections integer NOT NULL DEFAULT 1,
  evidence jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz,
  acknowledged_by text,
  resolved_at timestamptz,
  resolved_by text,
  note text
);
CREATE UNIQUE INDEX IF NOT EXISTS analytics_anomalies_active
  ON analytics_anomalies (meter_id, obis, kind) WHERE status <> 'resolved';
CREATE INDEX IF NOT EXISTS analytics_anomalies_status ON analytics_anomalies (status, last_day DESC, id DESC);
CREATE INDEX IF NOT EXISTS analytics_anomalies_meter ON analytics_anomalies (meter_id, id DESC)`,
  },
];
