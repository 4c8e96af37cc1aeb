import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { encodeCopyText } from './copy-text.js';
import { PglitePreparedStatements } from './pglite-prepared.js';
import { isFreshDataDir, pgliteTemplate } from './pglite-template.js';
import {
  copyStatement,
  INT8_OID,
  NUMERIC_OID,
  parseNumeric,
  type QueryOptions,
  type QueryResult,
  type SqlDatabase,
  type SqlExecutor,
} from './sql-database.js';

export interface PgliteDatabaseOptions {
  /** Directory of the file-backed database; omit for an in-memory one (tests). */
  dataDir?: string;
  /** Start a fresh database from the cached empty cluster (pglite-template.ts) rather than initdb. */
  template?: boolean;
  /** PostgreSQL's buffer pool in MB (default 128, initdb's choice); see `PgliteTuning`. */
  sharedBuffersMb?: number;
}

/** How an embedded database is sized for a small process (the demo); unset values keep the defaults. */
export interface PgliteTuning {
  /**
   * PostgreSQL's buffer pool (`shared_buffers`), in MB. It lives in the WebAssembly heap, which never
   * shrinks: initdb's 128 MB is resident once touched, far more than a demo's few tens of MB of data.
   */
  sharedBuffersMb?: number;
  /** The database thread's V8 young generation, in MB (its JavaScript only relays messages). */
  youngGenerationMb?: number;
}

function wrap(
  q: Pick<PGlite, 'query'>,
  prepared: PglitePreparedStatements,
  inTransaction = false,
): SqlExecutor {
  let ended = false;
  return {
    async query<T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
      // Same contract as on PostgreSQL, where COMMIT has already been sent after such a statement.
      if (ended) throw new Error('query after the statement marked lastInTransaction');
      if (inTransaction && options?.lastInTransaction) ended = true;
      const r =
        (options?.name ? await prepared.run<T>(q, options.name, text, params) : undefined) ??
        (await q.query<T>(text, params));
      return { rows: r.rows, rowCount: r.affectedRows ?? 0 };
    },
  };
}

/** Embedded PostgreSQL (WebAssembly). One connection: transactions are serialised by PGlite itself. */
export class PgliteDatabase implements SqlDatabase {
  readonly kind = 'pglite' as const;
  private readonly options: PgliteDatabaseOptions;
  private db: PGlite | undefined;
  private executor: SqlExecutor | undefined;
  private readonly prepared = new PglitePreparedStatements();

  constructor(options: PgliteDatabaseOptions = {}) {
    this.options = options;
  }

  async start(): Promise<this> {
    const { dataDir } = this.options;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const fresh = !dataDir || isFreshDataDir(dataDir);
    const template = fresh && this.options.template !== false ? await pgliteTemplate() : undefined;
    const { sharedBuffersMb } = this.options;
    this.db = await PGlite.create(dataDir ?? 'memory://', {
      parsers: { [INT8_OID]: parseNumeric, [NUMERIC_OID]: parseNumeric },
      ...(template ? { loadDataDir: template } : {}),
      ...(sharedBuffersMb
        ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMb}MB`] }
        : {}),
    });
    this.executor = wrap(this.db, this.prepared);
    return this;
  }

  private get handle(): PGlite {
    if (!this.db) throw new Error('PgliteDatabase used before start()');
    return this.db;
  }

  query<T = Record<string, unknown>>(
    text: string,
    params?: unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>> {
    if (!this.executor) throw new Error('PgliteDatabase used before start()');
    return this.executor.query<T>(text, params, options);
  }

  async exec(sql: string): Promise<void> {
    await this.handle.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    // A single embedded connection has no concurrent writers, so every isolation level behaves as
    // serializable and there is nothing to retry.
    return this.handle.transaction((tx) => fn(wrap(tx, this.prepared, true)));
  }

  async copyRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<void> {
    if (rows.length) await this.copyText(table, columns, encodeCopyText(rows));
  }

  /** COPY of rows already in COPY text format (see copy-text.ts). */
  async copyText(table: string, columns: readonly string[], text: string): Promise<void> {
    // PGlite's COPY reads its input from the blob passed with the query, at the path /dev/blob.
    await this.handle.query(`${copyStatement(table, columns)} FROM '/dev/blob'`, [], {
      blob: new Blob([text]),
    });
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.executor = undefined;
    if (db && !db.closed) await db.close();
  }
}
