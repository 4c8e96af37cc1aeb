import type { SqlDatabase } from './sql-database.js';

/**
 * A versioned, forward-only schema change. Each gateway store owns its migrations (ids are unique
 * across the gateway: prefix them with the store, e.g. `ledger-0001-customers`) and applies them with
 * `runMigrations`; applied ids are recorded so every start is idempotent.
 */
export interface Migration {
  id: string;
  sql: string;
}

// Arbitrary constant key for pg_advisory_xact_lock: serialises migrators across processes.
const MIGRATION_LOCK_KEY = 4_771_031;

export async function runMigrations(db: SqlDatabase, migrations: readonly Migration[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new Error(`duplicate migration id ${m.id}`);
    ids.add(m.id);
  }
  await db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [m.id]);
      if (seen.rows.length) return false;
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
      return true;
    });
    if (done) applied.push(m.id);
  }
  return applied;
}

/**
 * Split a migration into statements so each runs inside the migration's transaction through the
 * parameterised query path. Migrations must not contain `;` inside literals or function bodies
 * (use `$$` bodies, which are kept whole).
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let inDollar = false;
  for (let i = 0; i < sql.length; i++) {
    if (sql.startsWith('$$', i)) {
      inDollar = !inDollar;
      current += '$$';
      i++;
      continue;
    }
    const ch = sql[i]!;
    if (ch === ';' && !inDollar) {
      if (current.trim()) out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
