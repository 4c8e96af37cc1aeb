import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SERVICES, requirePostgres } from './services.js';

/**
 * A fresh, uniquely named database on the real PostgreSQL server for one test file, dropped by
 * `drop()`. Suites running at the same time never see each other's rows.
 */
export async function createTestDatabase(label = 'mg'): Promise<{ url: string; drop: () => Promise<void> }> {
  await requirePostgres();
  const name = `${label}_${process.pid}_${randomBytes(4).toString('hex')}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  const admin = new URL(SERVICES.postgres);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(SERVICES.postgres);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
