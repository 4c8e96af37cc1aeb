import { PgliteDatabase, PgliteWorkerDatabase } from '../../platform/index.js';
import { describeVendingLedger } from './conformance.js';

describeVendingLedger('PGlite (memory)', () => new PgliteDatabase().start());
// What `metergate gateway` runs: PGlite in a worker thread of its own.
describeVendingLedger('PGlite (worker thread)', () => new PgliteWorkerDatabase().start());
