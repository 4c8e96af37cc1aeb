import pg from 'pg';
import {
  INT8_OID,
  NUMERIC_OID,
  parseNumeric,
  type IsolationLevel,
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

function wrap(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async query<T>(text: string, params: unknown[] = []): Promise<QueryResult<T>> {
      const r = await client.query(text, params);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    },
  };
}

export class PostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  private readonly options: PostgresDatabaseOptions;
  private pool: pg.Pool | undefined;

  constructor(options: PostgresDatabaseOptions) {
    this.options = options;
  }

  async start(): Promise<this> {
    this.pool = new pg.Pool({
      connectionString: this.options.url,
      max: this.options.maxConnections ?? 10,
      types,
    });
    // An idle client erroring (server restart) must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
    await this.pool.query('SELECT 1');
    return this;
  }

  private get handle(): pg.Pool {
    if (!this.pool) throw new Error('PostgresDatabase used before start()');
    return this.pool;
  }

  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<T>> {
    return wrap(this.handle).query<T>(text, params);
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
        await client.query(`BEGIN ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}`);
        const result = await fn(wrap(client));
        await client.query('COMMIT');
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

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}
