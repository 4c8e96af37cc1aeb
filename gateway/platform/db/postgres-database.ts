import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { encodeCopyText } from './copy-text.js';
import {
  copyStatement,
  INT8_OID,
  NUMERIC_OID,
  parseNumeric,
  type IsolationLevel,
  type QueryOptions,
  type QueryResult,
  type SqlDatabase,
  type SqlExecutor,
} from './sql-database.js';

export interface PostgresDatabaseOptions {
  url: string;
  maxConnections?: number;
}

const RETRYABLE = new Set(['40001', '40P01']);

// Per-pool type parsers, so the process-wide pg defaults stay untouched for other users of `pg`.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return parseNumeric;
    return pg.types.getTypeParser(oid, format);
  },
};

async function run<T>(
  client: pg.Pool | pg.PoolClient,
  text: string,
  params: unknown[],
  options?: QueryOptions,
): Promise<QueryResult<T>> {
  const r = options?.name
    ? await client.query({ name: options.name, text, values: params })
    : await client.query(text, params);
  return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
}

/**
 * The executor handed to a transaction body. The connection is in pipeline mode: BEGIN is written
 * together with the body's first statement, and a statement marked `lastInTransaction` together
 * with its COMMIT — one socket write and one round trip for each pair. Corking the socket is what
 * merges the writes (pg corks each query on its own; corks nest).
 */
class TransactionExecutor implements SqlExecutor {
  commit: Promise<unknown> | undefined;
  private readonly socket: pg.PoolClient['connection']['stream'];
  private corked = false;

  constructor(
    private readonly client: pg.PoolClient,
    isolation: IsolationLevel,
  ) {
    this.socket = client.connection.stream;
    this.cork();
    this.begun = client.query(`BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
    this.begun.catch(() => {});
  }

  /** Settles with BEGIN; should BEGIN ever fail, transaction() throws before using any result. */
  readonly begun: Promise<unknown>;

  private cork(): void {
    if (this.corked) return;
    this.socket.cork();
    this.corked = true;
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  query<T>(text: string, params: unknown[] = [], options?: QueryOptions): Promise<QueryResult<T>> {
    if (this.commit) return Promise.reject(new Error('query after the statement marked lastInTransaction'));
    if (options?.lastInTransaction) this.cork();
    const result = run<T>(this.client, text, params, options);
    if (options?.lastInTransaction) {
      this.commit = this.client.query('COMMIT');
      // Awaited by transaction(); when the statement itself fails the server turns this COMMIT into
      // a rollback, and the statement's error is the one reported.
      this.commit.catch(() => {});
    }
    this.uncork();
    return result;
  }
}

export class PostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  private readonly options: PostgresDatabaseOptions;
  private pool: pg.Pool | undefined;
  private copyPool: pg.Pool | undefined;

  constructor(options: PostgresDatabaseOptions) {
    this.options = options;
  }

  async start(): Promise<this> {
    // Pipeline mode lets a transaction send BEGIN and COMMIT with its statements
    // rather than one round trip each: half the round trips of a vend.
    this.pool = this.newPool({ max: this.options.maxConnections ?? 10, pipeline: true });
    await this.pool.query('SELECT 1');
    return this;
  }

  private newPool(options: { max: number; pipeline: boolean }): pg.Pool {
    const pool = new pg.Pool({ connectionString: this.options.url, types, ...options });
    // An idle client erroring (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    return pool;
  }

  private get handle(): pg.Pool {
    if (!this.pool) throw new Error('PostgresDatabase used before start()');
    return this.pool;
  }

  query<T = Record<string, unknown>>(
    text: string,
    params?: unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<T>> {
    return run<T>(this.handle, text, params ?? [], options);
  }

  async exec(sql: string): Promise<void> {
    await this.handle.query(sql);
  }

  async transaction<T>(
    fn: (tx: SqlExecutor) => Promise<T>,
    options: { isolation?: IsolationLevel; retries?: number } = {},
  ): Promise<T> {
    const retries = options.retries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const client = await this.handle.connect();
      try {
        const tx = new TransactionExecutor(client, options.isolation ?? 'read committed');
        let result: T;
        try {
          result = await fn(tx);
        } finally {
          tx.uncork();
        }
        await tx.begun;
        await (tx.commit ?? client.query('COMMIT'));
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < retries) {
          await new Promise((r) => setTimeout(r, Math.random() * 10 * (attempt + 1)));
          continue;
        }
        throw err;
      } finally {
        client.release();
      }
    }
  }

  async copyRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<void> {
    if (rows.length === 0) return;
    // COPY streams are custom query classes, which pg refuses on a connection in pipeline mode:
    // they get a small pool of plain connections of their own, opened on first use.
    this.copyPool ??= this.newPool({ max: 2, pipeline: false });
    const client = await this.copyPool.connect();
    try {
      const sink = client.query(copyFrom(`${copyStatement(table, columns)} FROM STDIN`));
      await pipeline(Readable.from([encodeCopyText(rows)]), sink);
      client.release();
    } catch (err) {
      // A connection whose COPY failed is not handed to the next caller: the pool opens a new one.
      client.release(true);
      throw err;
    }
  }

  async close(): Promise<void> {
    const pools = [this.pool, this.copyPool];
    this.pool = undefined;
    this.copyPool = undefined;
    await Promise.all(pools.map((p) => p?.end()));
  }
}
