export type { SqlDatabase, SqlExecutor, QueryResult, QueryOptions, IsolationLevel } from './sql-database.js';
export { copyStatement, isUniqueViolation } from './sql-database.js';
export { encodeCopyText, copyField } from './copy-text.js';
export { PgliteDatabase, type PgliteDatabaseOptions } from './pglite-database.js';
export { PgliteWorkerDatabase } from './pglite-worker-database.js';
export { startTsWorker } from './ts-worker.js';
export { PostgresDatabase, type PostgresDatabaseOptions } from './postgres-database.js';
export { runMigrations, splitStatements, type Migration } from './migrations.js';
export { openDatabase, type OpenDatabaseOptions } from './open.js';
