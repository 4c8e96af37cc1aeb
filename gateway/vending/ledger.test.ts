import { PgliteDatabase } from '../db/index.js';
import { describeVendingLedger } from './conformance.js';

describeVendingLedger('PGlite (memory)', () => new PgliteDatabase().start());
