import { PgliteDatabase } from '../../platform/index.js';
import { describeReadingStore } from './conformance.js';
import { describeSqlReadingWrites } from './sql-conformance.js';
import { SqlReadingStore } from './sql-reading-store.js';

describeReadingStore('PGlite (embedded)', async () => {
  const db = await new PgliteDatabase().start();
  return { db, store: new SqlReadingStore({ db }), dispose: () => db.close() };
});

describeSqlReadingWrites('PGlite (embedded)', async () => {
  const db = await new PgliteDatabase().start();
  return { db, dispose: () => db.close() };
});
