import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A fresh database on a PostgreSQL server for one benchmark run, dropped (WITH FORCE) afterwards. */
export async function freshPostgres(
  base: string,
  label: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `mg_bench_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin.toString() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
