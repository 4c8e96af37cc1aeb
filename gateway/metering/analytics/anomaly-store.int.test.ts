import { createTestDatabase } from '../../../test/support/postgres.js';
import { openDatabase } from '../../platform/index.js';
import { describeAnomalyStore } from './anomaly-store-conformance.js';
import { SqlAnomalyStore } from './anomaly-store.js';

let drop: (() => Promise<void>) | undefined;
describeAnomalyStore(
  'SQL on PostgreSQL',
  async () => {
    const t = await createTestDatabase('mg_anomalies');
    drop = t.drop;
    return { db: await openDatabase({ url: t.url }), store: (db) => new SqlAnomalyStore({ db }) };
  },
  () => drop?.() ?? Promise.resolve(),
);
