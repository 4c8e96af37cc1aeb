import type { Migration } from '../../platform/index.js';

/**
 * Daily consumption per meter and OBIS register (gateway-contracts.md). Rollups always live in SQL
 * whatever the reading store, are never pruned (retention ≥ 3 years: the prior-year comparison needs
 * them). `resets` counts register resets/rollovers/meter replacements seen inside the day (added
 * column; the contract's columns are unchanged). `rollup_cursors` remembers the newest register point
 * folded in per (meter, obis), so in-order data is added incrementally and anything older is
 * recomputed from the reading store.
 */
export const ROLLUP_MIGRATIONS: Migration[] = [
  {
    id: 'rollups-0001-daily-consumption',
    sql: `
CREATE TABLE IF NOT EXISTS daily_consumption (
  meter_id text NOT NULL,
  obis text NOT NULL,
  day date NOT NULL,
  consumption double precision NOT NULL,
  first_value double precision, last_value double precision,
  samples integer NOT NULL DEFAULT 0,
  quality text NOT NULL DEFAULT 'measured',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meter_id, obis, day)
);
ALTER TABLE daily_consumption ADD COLUMN IF NOT EXISTS resets integer NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS rollup_cursors (
  meter_id text NOT NULL,
  obis text NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (meter_id, obis)
)`,
  },
];
