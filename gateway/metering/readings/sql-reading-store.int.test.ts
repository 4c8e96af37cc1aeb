import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresDatabase } from '../../platform/index.js';
import { describeReadingStore } from './conformance.js';
import { describeSqlReadingWrites } from './sql-conformance.js';
import { SqlReadingStore } from './sql-reading-store.js';

async function openServer(name: string) {
  const t = await createTestDatabase(name);
  const db = await new PostgresDatabase({ url: t.url }).start();
  return {
    db,
    async dispose() {
      await db.close();
      await t.drop();
    },
  };
}

describeReadingStore('PostgreSQL server', async () => {
  const s = await openServer('mg_readings');
  return { ...s, store: new SqlReadingStore({ db: s.db }) };
});

describeSqlReadingWrites('PostgreSQL server', () => openServer('mg_reading_writes'));
