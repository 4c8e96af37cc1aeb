import type { SqlExecutor } from '../platform/index.js';

/**
 * Which meters metergate knows, and what it knows of them, from the tables of the domains below that
 * exist in this deployment: the prepaid ledger's `meters` (prepaid, with their customer), billing's
 * `contracts` (postpaid, with their customer and register), and metering's `meter_last_reading` (seen
 * on the bus). A table a deployment does not have (no ledger, no billing) is simply not consulted.
 */
export interface KnownMeter {
  id: string;
  kind?: 'prepaid' | 'postpaid';
  customerId?: string;
  /** The register a contract bills (OBIS), when one does. */
  obis?: string;
}

const SOURCES = [
  {
    table: 'meters',
    sql: `SELECT id, 'prepaid' AS kind, customer_id AS "customerId", NULL AS obis FROM meters WHERE id = ANY($1)`,
  },
  {
    table: 'contracts',
    sql: `SELECT meter_id AS id, 'postpaid' AS kind, customer_id AS "customerId", obis FROM contracts WHERE meter_id = ANY($1)`,
  },
  {
    table: 'meter_last_reading',
    sql: `SELECT meter_id AS id, NULL AS kind, NULL AS "customerId", NULL AS obis FROM meter_last_reading WHERE meter_id = ANY($1)`,
  },
] as const;

async function present(db: SqlExecutor): Promise<Set<string>> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_name = ANY($1)`,
    [SOURCES.map((s) => s.table)],
  );
  return new Set(rows.map((r) => r.name));
}

export async function knownMeters(db: SqlExecutor, ids: readonly string[]): Promise<Map<string, KnownMeter>> {
  const out = new Map<string, KnownMeter>();
  if (!ids.length) return out;
  const tables = await present(db);
  for (const s of SOURCES) {
    if (!tables.has(s.table)) continue;
    const { rows } = await db.query<{
      id: string;
      kind: KnownMeter['kind'] | null;
      customerId: string | null;
      obis: string | null;
    }>(s.sql, [ids]);
    for (const r of rows) {
      const m = out.get(r.id) ?? { id: r.id };
      m.kind ??= r.kind ?? undefined;
      m.customerId ??= r.customerId ?? undefined;
      m.obis ??= r.obis ?? undefined;
      out.set(r.id, m);
    }
  }
  return out;
}
