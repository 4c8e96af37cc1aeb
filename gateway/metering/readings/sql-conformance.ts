import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations, type SqlDatabase } from '../../platform/index.js';
import { READINGS_MIGRATIONS } from './migrations.js';
import type { StoredReading } from './reading-store.js';
import { SqlReadingStore } from './sql-reading-store.js';

const E = '1-0:1.8.0';

/** The SQL stores' two write paths (COPY, then the upsert after a conflict) on one database. */
export function describeSqlReadingWrites(
  name: string,
  open: () => Promise<{ db: SqlDatabase; dispose(): Promise<void> }>,
): void {
  describe(`SqlReadingStore write paths: ${name}`, () => {
    let f: { db: SqlDatabase; dispose(): Promise<void> };
    const tag = Math.random().toString(36).slice(2, 8);
    const reading = (meter: string, second: number, value: number): StoredReading => ({
      meterId: `${meter}-${tag}`,
      ts: new Date(Date.UTC(2026, 5, 1, 0, 0, second)),
      seq: second,
      values: { [E]: value },
      quality: 'good',
      source: 'simulator',
      historical: false,
    });
    const stored = async (meter: string) =>
      (
        await f.db.query<{ seq: number; v: number }>(
          `SELECT seq, ("values"->>'${E}')::float8 AS v FROM readings WHERE meter_id = $1 ORDER BY ts`,
          [`${meter}-${tag}`],
        )
      ).rows.map((r) => [r.seq, r.v]);

    beforeAll(async () => {
      f = await open();
      await runMigrations(f.db, READINGS_MIGRATIONS);
    });
    afterAll(() => f?.dispose());

    it('COPYs new batches, rewrites a batch holding stored rows with the upsert, then COPYs again', async () => {
      const store = new SqlReadingStore({ db: f.db, upsertBatchesAfterConflict: 2 });
      await store.write([reading('a', 1, 10), reading('a', 2, 20)]);
      expect(store.writePaths()).toEqual({ copied: 1, upserted: 0, conflicts: 0 });
      // a redelivery: one stored key (replaced, last wins) beside a new one
      await store.write([reading('a', 2, 21), reading('a', 3, 30)]);
      expect(store.writePaths()).toEqual({ copied: 1, upserted: 1, conflicts: 1 });
      // the next two batches go straight to the upsert, the one after is COPYd again
      await store.write([reading('a', 4, 40)]);
      await store.write([reading('a', 5, 50)]);
      await store.write([reading('a', 6, 60)]);
      expect(store.writePaths()).toEqual({ copied: 2, upserted: 3, conflicts: 1 });
      expect(await stored('a')).toEqual([
        [1, 10],
        [2, 21],
        [3, 30],
        [4, 40],
        [5, 50],
        [6, 60],
      ]);
    });

    it('keeps the last of two readings with one (meter, ts) in a batch, and never COPYs when told not to', async () => {
      const copying = new SqlReadingStore({ db: f.db });
      await copying.write([reading('b', 1, 1), reading('b', 1, 2)]);
      expect(await stored('b')).toEqual([[1, 2]]);
      const upsertOnly = new SqlReadingStore({ db: f.db, upsertBatchesAfterConflict: 0 });
      await upsertOnly.write([reading('b', 1, 3), reading('b', 2, 4)]);
      expect(upsertOnly.writePaths()).toEqual({ copied: 0, upserted: 1, conflicts: 0 });
      expect(await stored('b')).toEqual([
        [1, 3],
        [2, 4],
      ]);
    });
  });
}
