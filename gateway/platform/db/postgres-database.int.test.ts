import { createTestDatabase } from '../../../test/support/postgres.js';
import { describeSqlDatabase } from './conformance.js';
import { PostgresDatabase } from './postgres-database.js';

let drop: (() => Promise<void>) | undefined;

describeSqlDatabase(
  'PostgreSQL server',
  async () => {
    const t = await createTestDatabase('mg_sqlconf');
    drop = t.drop;
    return new PostgresDatabase({ url: t.url }).start();
  },
  () => drop?.() ?? Promise.resolve(),
);
