import { createTestDatabase } from '../../../test/support/postgres.js';
import { PostgresDatabase } from '../../platform/index.js';
import { describeVendingLedger } from './conformance.js';

let drop: (() => Promise<void>) | undefined;

// The same suite as ledger.test.ts, on a real PostgreSQL server, with the full concurrency sizes.
describeVendingLedger(
  'PostgreSQL server',
  async () => {
    const t = await createTestDatabase('mg_vending');
    drop = t.drop;
    return new PostgresDatabase({ url: t.url, maxConnections: 20 }).start();
  },
  () => drop?.() ?? Promise.resolve(),
  { identical: 100, vends: 1000, meters: 10 },
);
