/**
 * Child process for the crash test: serves the vending API over HTTP on the database named by
 * DATABASE_URL (PostgreSQL) or MG_DATA_DIR (file-backed PGlite) and prints `LISTENING <port>`.
 * When MG_CRASH_AFTER_COMMIT names a requestId, the process SIGKILLs itself right after that
 * vend's ledger transaction commits and before the HTTP answer is written — the worst moment
 * for a vending system. Test-only: production code has no such hook, only `afterCommit`.
 */
import { openDatabase } from '../../../platform/index.js';
import { KeyVault } from '../../../platform/index.js';
import { VendingService } from '../service.js';
import { buildVendingApp } from './app.js';
import { testSecurityModule } from './world.js';

const crashOn = process.env.MG_CRASH_AFTER_COMMIT;
const db = await openDatabase(
  process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: process.env.MG_DATA_DIR! },
);
const service = await new VendingService({
  db,
  vault: new KeyVault(testSecurityModule()),
  afterCommit: (result) => {
    if (crashOn && result.requestId === crashOn) process.kill(process.pid, 'SIGKILL');
  },
}).start();
const app = await buildVendingApp({ db, service });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
const stop = async (): Promise<void> => {
  await app.close();
  await service.stop();
  await db.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
