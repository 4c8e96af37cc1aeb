import { join } from 'node:path';
import { PgliteDatabase, type PgliteTuning } from './pglite-database.js';
import { makePrivate } from './private-files.js';
import { PgliteWorkerDatabase } from './pglite-worker-database.js';
import { PostgresDatabase } from './postgres-database.js';
import type { SqlDatabase } from './sql-database.js';

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; when absent, the embedded PGlite database is used. */
  url?: string;
  /** Data directory for PGlite (`<dataDir>/pglite`); omit for an in-memory database. */
  dataDir?: string;
  maxConnections?: number;
  /**
   * Where a file-backed PGlite runs: a worker thread of its own (default), so the database and the
   * gateway use both cores, or this thread. An in-memory PGlite (tests) always runs on this thread.
   */
  pgliteThread?: 'worker' | 'main';
  /** Sizing of a file-backed PGlite (the demo keeps it small); PostgreSQL ignores it. */
  pglite?: PgliteTuning;
  /** Where the PGlite thread reports that it died and was restarted. */
  log?: (level: 'warn' | 'error', message: string) => void;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<SqlDatabase> {
  if (options.url) {
    return new PostgresDatabase({ url: options.url, maxConnections: options.maxConnections }).start();
  }
  if (!options.dataDir) return new PgliteDatabase().start();
  const dataDir = join(options.dataDir, 'pglite');
  // The ledger and readings are nobody else's business: owner-only before and after PGlite opens.
  makePrivate(options.dataDir);
  makePrivate(dataDir);
  const db =
    options.pgliteThread === 'main'
      ? await new PgliteDatabase({ dataDir, sharedBuffersMb: options.pglite?.sharedBuffersMb }).start()
      : await new PgliteWorkerDatabase({ dataDir, tuning: options.pglite, log: options.log }).start();
  makePrivate(dataDir);
  return db;
}
