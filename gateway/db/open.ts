import { join } from 'node:path';
import { PgliteDatabase } from './pglite-database.js';
import { PostgresDatabase } from './postgres-database.js';
import type { SqlDatabase } from './sql-database.js';

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent, the embedded PGlite database is used. */
  url?: string;
  /** Data directory for PGlite (`<dataDir>/pglite`); omit for an in-memory database. */
  dataDir?: string;
  maxConnections?: number;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<SqlDatabase> {
  if (options.url) {
    return new PostgresDatabase({ url: options.url, maxConnections: options.maxConnections }).start();
  }
  return new PgliteDatabase({
    dataDir: options.dataDir ? join(options.dataDir, 'pglite') : undefined,
  }).start();
}
