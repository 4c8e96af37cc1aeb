import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { READINGS_MIGRATIONS, SqlReadingStore } from '../readings/index.js';
import { ROLLUP_MIGRATIONS } from './migrations.js';
import { RollupEngine, type RegisterSample } from './rollup-engine.js';
import { SqlRollupStore } from './rollup-store.js';

const E = '1-0:1.8.0';
const at = (h: number) => Date.UTC(2026, 2, 1, h);

/** Counts the cursor reads the engine sends to SQL, and can make the next transaction fail. */
function instrumented(db: SqlDatabase) {
  const stats = { cursorReads: 0, failNextTransaction: false };
  const wrapped: SqlDatabase = Object.assign(Object.create(db) as SqlDatabase, {
    query: (text: string, params?: unknown[]) => {
      if (/FROM rollup_cursors/.test(text)) stats.cursorReads++;
      return db.query(text, params);
    },
    transaction: <T>(fn: Parameters<SqlDatabase['transaction']>[0]) => {
      if (stats.failNextTransaction) {
        stats.failNextTransaction = false;
        return Promise.reject(new Error('injected: database went away'));
      }
      return db.transaction(fn) as Promise<T>;
    },
  });
  return { db: wrapped, stats };
}

describe('RollupEngine cursor memory', () => {
  let db: PgliteDatabase;
  let store: SqlReadingStore;
  beforeAll(async () => {
    db = await new PgliteDatabase().start();
    await runMigrations(db, [...READINGS_MIGRATIONS, ...ROLLUP_MIGRATIONS]);
    store = new SqlReadingStore({ db });
  });
  afterAll(() => db.close());

  const sample = (meterId: string, h: number, value: number): RegisterSample => ({
    meterId,
    obis: E,
    ts: at(h),
    value,
  });
  const day = async (meterId: string) =>
    (
      await new SqlRollupStore({ db }).dailySeries({ meterId, obis: E, from: '2026-03-01', to: '2026-03-01' })
    )[0]?.consumption;

  it('reads a cursor from SQL once, then remembers the ones it wrote', async () => {
    const { db: counted, stats } = instrumented(db);
    const engine = new RollupEngine({ db: counted, source: store });
    await engine.apply([sample('c1', 1, 100)]);
    await engine.apply([sample('c1', 2, 103)]);
    await engine.apply([sample('c1', 3, 110)]);
    expect(stats.cursorReads).toBe(1);
    expect(await day('c1')).toBe(10);
    // A second engine (a restarted gateway) starts from what is stored, not from nothing.
    const restarted = new RollupEngine({ db: counted, source: store });
    await restarted.apply([sample('c1', 4, 111)]);
    expect(await day('c1')).toBe(11);
  });

  it('forgets the cursors of a batch whose write failed, and reads them back', async () => {
    const { db: flaky, stats } = instrumented(db);
    const engine = new RollupEngine({ db: flaky, source: store });
    await engine.apply([sample('c2', 1, 50)]);
    await engine.apply([sample('c2', 2, 52)]);
    stats.failNextTransaction = true;
    await expect(engine.apply([sample('c2', 3, 60)])).rejects.toThrow(/went away/);
    const reads = stats.cursorReads;
    await engine.apply([sample('c2', 3, 60)]);
    expect(stats.cursorReads).toBe(reads + 1);
    expect(await day('c2')).toBe(10);
  });

  it('reads from SQL every batch when the memory is off', async () => {
    const { db: counted, stats } = instrumented(db);
    const engine = new RollupEngine({ db: counted, source: store, cursorCacheSize: 0 });
    await engine.apply([sample('c3', 1, 1)]);
    await engine.apply([sample('c3', 2, 2)]);
    expect(stats.cursorReads).toBe(2);
    expect(await day('c3')).toBe(1);
  });
});
