import { PgliteDatabase } from '../../platform/index.js';
import { describeAnomalyStore } from './anomaly-store-conformance.js';
import { SqlAnomalyStore } from './anomaly-store.js';

describeAnomalyStore('SQL on PGlite (memory)', async () => ({
  db: await new PgliteDatabase().start(),
  store: (db) => new SqlAnomalyStore({ db }),
}));
