import type { Migration } from '../../platform/index.js';

/**
 * Estimated billing periods and their regularisations. An estimate is unique per (meter, register,
 * period); a regularisation records, when a real reading (measured or the customer's own) arrives,
 * what was billed against what was consumed, and the instalment plan offered when it is above the
 * customer's usual level.
 */
export const ESTIMATION_MIGRATIONS: Migration[] = [
  {
    id: 'analytics-0020-estimation',
    sql: `
CREATE TABLE IF NOT EXISTS estimation_estimates (
  id bigserial PRIMARY KEY,
  meter_id text NOT NULL,
  obis text NOT NULL,
  period_from date NOT NULL,
  period_to date NOT NULL,
  estimated double precision NOT NULL,
  basis text NOT NULL CHECK (basis IN ('same_period_prior_years', 'recent_history')),
  basis_detail jsonb NOT NULL,
  status text NOT NULL DEFAULT 'estimated' CHECK (status IN ('estimated', 'regularised')),
  regularisation_id bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (meter_id, obis, period_from, period_to)
);
CREATE TABLE IF NOT EXISTS estimation_regularisations (
  id bigserial PRIMARY KEY,
  meter_id text NOT NULL,
  obis text NOT NULL,
  period_from date NOT NULL,
  period_to date NOT NULL,
  billed double precision NOT NULL,
  actual double precision NOT NULL,
  difference double precision NOT NULL,
  reading_quality text NOT NULL CHECK (reading_quality IN ('measured', 'customer')),
  reading_day date NOT NULL,
  reading_index double precision NOT NULL,
  start_index double precision NOT NULL,
  usual_level double precision,
  above_usual boolean NOT NULL DEFAULT false,
  instalment_months integer,
  instalment_amount double precision,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS estimation_estimates_meter ON estimation_estimates (meter_id, obis, period_from);
CREATE INDEX IF NOT EXISTS estimation_regularisations_meter ON estimation_regularisations (meter_id, obis, id DESC)`,
  },
];
