import type { SqlExecutor } from '../../platform/index.js';

/**
 * A meter's colour on the map, most urgent first: the first that holds wins. `outage`, `silent`,
 * `unread` (never reported: read by hand on rounds) and `reporting` say whether it reports (the
 * feature's `state`); `relay-open`, `low-credit`, `anomaly` and `estimated` are what else is known
 * of it (the feature's `flags`).
 */
export const METER_STATES = [
  'outage',
  'relay-open',
  'silent',
  'unread',
  'low-credit',
  'anomaly',
  'estimated',
  'reporting',
] as const;
export type MeterState = (typeof METER_STATES)[number];

/** The feature's `state`: whether the meter reports. */
export const CONNECTIVITY_STATES = ['reporting', 'silent', 'outage', 'unread'] as const;
export type ConnectivityState = (typeof CONNECTIVITY_STATES)[number];
export const METER_FLAGS = ['relay-open', 'low-credit', 'anomaly', 'estimated'] as const;
export type MeterFlag = (typeof METER_FLAGS)[number];

/** The colour of a meter from its state and flags. */
export function colourOf(state: ConnectivityState, flags: readonly MeterFlag[]): MeterState {
  return METER_STATES.find((s) => s === state || (flags as readonly string[]).includes(s)) ?? 'reporting';
}

/**
 * The other domains' tables a state reads. Each may be missing (a gateway composed without that
 * domain, or the bench's bare schema): the state is then never given, instead of the query failing.
 */
const OPTIONAL_TABLES = {
  anomalies: 'analytics_anomalies',
  relay: 'meter_relay_state',
  estimates: 'estimation_estimates',
  outbox: 'notify_outbox',
} as const;
type OptionalTable = keyof typeof OPTIONAL_TABLES;
export type PresentTables = Record<OptionalTable, boolean>;

/** One round trip: which of the optional tables exist in this database. */
export async function presentTables(db: SqlExecutor): Promise<PresentTables> {
  const names = Object.values(OPTIONAL_TABLES);
  const { rows } = await db.query<{ present: boolean[] }>(
    `SELECT array_agg(to_regclass(n) IS NOT NULL ORDER BY i) AS present
       FROM unnest($1::text[]) WITH ORDINALITY AS x(n, i)`,
    [names],
  );
  const present = rows[0]!.present;
  return Object.fromEntries(
    (Object.keys(OPTIONAL_TABLES) as OptionalTable[]).map((k, i) => [k, present[i] === true]),
  ) as PresentTables;
}

/** A low-credit warning counts for this long (the meter warns once per episode; a purchase ends it). */
const LOW_CREDIT_DAYS = 3;

/**
 * The states that come from a small set of meters, each a query of meter ids, in METER_STATES
 * order; both the SQL state (stateSql) and the in-memory index (map-index.ts) read these, so the two
 * never disagree.
 */
export function smallStateSets(tables: PresentTables): { state: MeterState; sql: string }[] {
  const sets: { state: MeterState; sql: string }[] = [
    {
      state: 'outage',
      sql: `SELECT DISTINCT unnest(meters) AS meter_id FROM field_outages WHERE status = 'open'`,
    },
  ];
  if (tables.relay) {
    sets.push({
      state: 'relay-open',
      sql: `SELECT meter_id FROM meter_relay_state WHERE relay = 'disconnected'`,
    });
  }
  if (tables.outbox) {
    sets.push({
      state: 'low-credit',
      sql: `SELECT DISTINCT data->>'meterId' AS meter_id FROM notify_outbox
             WHERE template = 'low_credit' AND created_at > now() - interval '${LOW_CREDIT_DAYS} days'`,
    });
  }
  if (tables.anomalies) {
    sets.push({
      state: 'anomaly',
      sql: `SELECT DISTINCT meter_id FROM analytics_anomalies WHERE status = 'open'`,
    });
  }
  if (tables.estimates) {
    sets.push({
      state: 'estimated',
      sql: `SELECT DISTINCT meter_id FROM estimation_estimates
             WHERE status = 'estimated' AND period_to >= date_trunc('month', now())::date`,
    });
  }
  return sets;
}

/**
 * The SQL that gives each connection point `p` its state and flags: the small sets as CTEs hashed
 * once, and the last reading by primary key (silent: older than `$silentParam`; unread: none at
 * all). The caller puts `ctes` after its WITH, `joins` after `FROM field_points p`, and selects
 * `state` (text) and `flags` (text[]).
 */
export function stateSql(
  tables: PresentTables,
  silentParam: number,
): { ctes: string; joins: string; state: string; flags: string } {
  const ctes: string[] = [];
  const joins = ['LEFT JOIN meter_last_reading lr ON lr.meter_id = p.meter_id'];
  const flags: string[] = [];
  let outage = 'false';
  smallStateSets(tables).forEach(({ state, sql }, i) => {
    ctes.push(`st${i} AS (${sql})`);
    joins.push(`LEFT JOIN st${i} ON st${i}.meter_id = p.meter_id`);
    if (state === 'outage') outage = `st${i}.meter_id IS NOT NULL`;
    else flags.push(`CASE WHEN st${i}.meter_id IS NOT NULL THEN '${state}' END`);
  });
  return {
    ctes: ctes.join(',\n'),
    joins: joins.join('\n'),
    // A meter without any reading is unread, never silent (`NULL < x` is not true).
    state: `CASE WHEN ${outage} THEN 'outage' WHEN lr.ts < $${silentParam} THEN 'silent'
                 WHEN lr.ts IS NULL THEN 'unread' ELSE 'reporting' END`,
    flags: flags.length ? `array_remove(ARRAY[${flags.join(', ')}]::text[], NULL)` : `'{}'::text[]`,
  };
}
