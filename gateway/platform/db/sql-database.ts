/**
 * The one SQL backend interface the gateway's stores (ledger, readings, rollups, alerts) are written
 * against. Two implementations run the same PostgreSQL dialect: PGlite (embedded, file-backed) and a
 * PostgreSQL server. Type parsing is aligned so both return the same JS values:
 * int8 and numeric → number, timestamptz → Date, json/jsonb → parsed value.
 */
export interface QueryResult<T> {
  rows: T[];
  /** Rows touched by INSERT/UPDATE/DELETE (0 when unknown). */
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Prepare the statement under this name, once per server connection, so PostgreSQL parses and
   * plans it once instead of on every call. Only for hot statements whose text never changes (one
   * name, one text); PGlite ignores it.
   */
  name?: string;
  /**
   * Inside `transaction()`: this is the body's last statement, so COMMIT can be sent with it (one
   * round trip instead of two on PostgreSQL). The body must not query after it. Ignored elsewhere.
   */
  lastInTransaction?: boolean;
}

export interface SqlExecutor {
  query<T = Record<string, unknown>>(
    text: string,
    params?: unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>>;
}

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface SqlDatabase extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Run several statements (no parameters): migrations. */
  exec(sql: string): Promise<void>;
  /**
   * Run `fn` in one transaction; commit when it resolves, roll back when it throws. On PostgreSQL a
   * serialization failure (SQLSTATE 40001) or deadlock (40P01) retries `fn` up to `retries` times.
   */
  transaction<T>(
    fn: (tx: SqlExecutor) => Promise<T>,
    options?: { isolation?: IsolationLevel; retries?: number },
  ): Promise<T>;
  /**
   * Bulk-insert rows with COPY (PGlite: from a blob; PostgreSQL: FROM STDIN), all or nothing. Parsing
   * COPY text costs far less than binding array parameters, but COPY has no ON CONFLICT: a duplicate
   * key fails the whole call with SQLSTATE 23505 and inserts nothing. Values are encoded by
   * `copyField` (Dates as ISO 8601, objects as JSON, null/undefined as NULL).
   */
  copyRows(table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void>;
  close(): Promise<void>;
}

/** `COPY table (columns)` with quoted identifiers; the caller appends FROM …. */
export function copyStatement(table: string, columns: readonly string[]): string {
  const id = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return `COPY ${id(table)} (${columns.map(id).join(', ')})`;
}

/** SQLSTATE 23505: the statement would have stored a second row under a unique key. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === '23505';
}

export const INT8_OID = 20;
export const NUMERIC_OID = 1700;

export function parseNumeric(value: string): number {
  return Number(value);
}
