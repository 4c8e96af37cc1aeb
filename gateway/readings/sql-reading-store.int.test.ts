import { createTestDatabase } from '../../test/support/postgres.js';
import { PostgresDatabase } from '../db/index.js';
import { describeReadingStore } from './conformance.js';
import { SqlReadingStore } from './sql-reading-store.js';

describeReadingStore('PostgreSQL server', async () => {
  const t = await createTestDatabase('mg_readings');
  const db = await new PostgresDatabase({ url: t.url }).start();
  return {
    db,
    store: new SqlReadingStore({ db }),
    async dispose() {
      await db.close();
      await t.drop();
    },
  };
});
