import { PostgresDatabase } from '../../platform/index.js';
import { BillingRunner } from '../run/billing-run.js';

/**
 * A billing run in a process of its own, for the crash test: `run-child.ts <databaseUrl> <runId>`.
 * It prints "batch" after each committed batch so the parent can kill it halfway.
 */
const [url, runId] = process.argv.slice(2);
const db = await new PostgresDatabase({ url: url! }).start();
const runner = new BillingRunner({
  db,
  batchSize: 25,
  clock: () => new Date('2026-03-01T00:00:00Z'),
  onProgress: (r) => process.stdout.write(`batch ${r.issued}\n`),
});
await runner.execute(runId!);
await db.close();
process.stdout.write('done\n');
