import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSqlDatabase } from './conformance.js';
import { PgliteDatabase } from './pglite-database.js';
import { PgliteWorkerDatabase } from './pglite-worker-database.js';
import { openDatabase } from './open.js';

describeSqlDatabase('PGlite (memory)', () => new PgliteDatabase().start());
describeSqlDatabase('PGlite (worker thread)', () => new PgliteWorkerDatabase().start());

describe('PGlite file-backed', () => {
  it('keeps data across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mg-pglite-'));
    try {
      const a = await openDatabase({ dataDir: dir });
      await a.exec('CREATE TABLE kept (v text)');
      await a.query('INSERT INTO kept VALUES ($1)', ['still here']);
      await a.close();
      const b = await openDatabase({ dataDir: dir });
      expect((await b.query<{ v: string }>('SELECT v FROM kept')).rows).toEqual([{ v: 'still here' }]);
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts a new thread on the same data when its thread dies; committed data survives', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mg-pglite-'));
    const logged: string[] = [];
    const db = await new PgliteWorkerDatabase({ dataDir: dir, log: (_l, m) => logged.push(m) }).start();
    try {
      await db.exec('CREATE TABLE kept (v text)');
      await db.query('INSERT INTO kept VALUES ($1)', ['committed']);
      // What a WebAssembly trap would do: the thread goes away under a statement in flight.
      const inFlight = db.query('SELECT pg_sleep(5)');
      await (db as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await expect(inFlight).rejects.toThrow(/PGlite thread exited/);
      expect((await db.query<{ v: string }>('SELECT v FROM kept')).rows).toEqual([{ v: 'committed' }]);
      expect(db.restarts).toBe(1);
      expect(logged.join('\n')).toMatch(/PGlite thread exited .*restarting/);
    } finally {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps data across a restart when it runs in a worker thread, and refuses calls once closed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mg-pglite-'));
    try {
      const a = await openDatabase({ dataDir: dir });
      expect(a).toBeInstanceOf(PgliteWorkerDatabase);
      await a.exec('CREATE TABLE kept (v text)');
      await a.copyRows('kept', ['v'], [['copied']]);
      await a.close();
      await expect(a.query('SELECT 1')).rejects.toThrow(/closed/);
      const b = await openDatabase({ dataDir: dir, pgliteThread: 'main' });
      expect(b).toBeInstanceOf(PgliteDatabase);
      expect((await b.query<{ v: string }>('SELECT v FROM kept')).rows).toEqual([{ v: 'copied' }]);
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
