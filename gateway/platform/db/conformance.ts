import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from './migrations.js';
import type { SqlDatabase } from './sql-database.js';

/**
 * The behaviour every SqlDatabase must show, run by each implementation's own test file
 * (PGlite in the unit tier, PostgreSQL in the integration tier).
 */
export function describeSqlDatabase(
  name: string,
  open: () => Promise<SqlDatabase>,
  dispose?: () => Promise<void>,
): void {
  describe(`SqlDatabase conformance: ${name}`, () => {
    let db: SqlDatabase;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db?.close();
      await dispose?.();
    });

    it('runs migrations once, in order, idempotently', async () => {
      const migrations = [
        {
          id: 't-0001',
          sql: 'CREATE TABLE conf_t (id int8 PRIMARY KEY, amount numeric(12,3), at timestamptz, doc jsonb)',
        },
        {
          id: 't-0002',
          sql: 'ALTER TABLE conf_t ADD COLUMN note text; CREATE INDEX conf_t_at ON conf_t (at)',
        },
      ];
      expect(await runMigrations(db, migrations)).toEqual(['t-0001', 't-0002']);
      expect(await runMigrations(db, migrations)).toEqual([]);
      await expect(runMigrations(db, [migrations[0]!, migrations[0]!])).rejects.toThrow(
        /duplicate migration/,
      );
    });

    it('returns the same JS types on every backend', async () => {
      await db.query('INSERT INTO conf_t (id, amount, at, doc) VALUES ($1, $2, $3, $4)', [
        9_007_199_254_740_991,
        '1234.567',
        new Date('2026-11-22T10:15:00Z'),
        JSON.stringify({ a: [1, 2] }),
      ]);
      const { rows } = await db.query<{ id: number; amount: number; at: Date; doc: unknown }>(
        'SELECT id, amount, at, doc FROM conf_t WHERE id = $1',
        [9_007_199_254_740_991],
      );
      expect(rows[0]).toEqual({
        id: 9_007_199_254_740_991,
        amount: 1234.567,
        at: new Date('2026-11-22T10:15:00Z'),
        doc: { a: [1, 2] },
      });
      const count = await db.query<{ n: number }>('SELECT count(*) AS n FROM conf_t');
      expect(count.rows[0]?.n).toBe(1);
    });

    it('runs named statements with the same values, types and errors as unnamed ones', async () => {
      const insert = 'INSERT INTO conf_t (id, amount, at, doc, note) VALUES ($1, $2, $3, $4, $5)';
      const select =
        'SELECT id, amount, at, doc, note FROM conf_t WHERE id = $1 AND ($2::text IS NULL OR note = $2)';
      // Quotes, a backslash and a newline: inlined literals must survive them.
      const note = `it's a \\ "test"\n`;
      for (const id of [30, 31]) {
        const r = await db.query(
          insert,
          [id, 12.5, new Date('2026-11-23T08:00:00Z'), JSON.stringify({ id }), note],
          { name: 'conf-named-insert' },
        );
        expect(r.rowCount).toBe(1);
      }
      const got = await db.query(select, [31, note], { name: 'conf-named-select' });
      expect(got.rows).toEqual([
        { id: 31, amount: 12.5, at: new Date('2026-11-23T08:00:00Z'), doc: { id: 31 }, note },
      ]);
      expect((await db.query(select, [30, null], { name: 'conf-named-select' })).rows).toHaveLength(1);
      // An array parameter works too (PGlite runs such a statement unprepared).
      const arr = await db.query<{ n: number }>(
        'SELECT count(*) AS n FROM conf_t WHERE id = ANY($1::int8[])',
        [[30, 31, 99]],
        {
          name: 'conf-named-array',
        },
      );
      expect(arr.rows[0]?.n).toBe(2);
      const dup = (await db
        .query(insert, [30, 1, null, null, null], { name: 'conf-named-insert' })
        .catch((e: unknown) => e)) as { code?: string };
      expect(dup.code).toBe('23505');
    });

    it('reports affected rows and upserts', async () => {
      const r = await db.query(
        'INSERT INTO conf_t (id, note) VALUES (1, $1), (2, $1) ON CONFLICT (id) DO UPDATE SET note = excluded.note',
        ['x'],
      );
      expect(r.rowCount).toBe(2);
      const again = await db.query(
        'INSERT INTO conf_t (id, note) VALUES (1, $1) ON CONFLICT (id) DO NOTHING',
        ['y'],
      );
      expect(again.rowCount).toBe(0);
    });

    it('commits and rolls back transactions', async () => {
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO conf_t (id, note) VALUES (10, $1)', ['committed']);
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO conf_t (id, note) VALUES (11, $1)', ['rolled back']);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const { rows } = await db.query<{ id: number }>(
        'SELECT id FROM conf_t WHERE id IN (10, 11) ORDER BY id',
      );
      expect(rows.map((r) => r.id)).toEqual([10]);
    });

    it('commits with the statement marked lastInTransaction, and refuses statements after it', async () => {
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO conf_t (id, note) VALUES (20, $1)', ['a']);
        await tx.query('INSERT INTO conf_t (id, note) VALUES (21, $1)', ['b'], {
          name: 'conf-insert-last',
          lastInTransaction: true,
        });
      });
      // The failing last statement takes the whole transaction with it.
      const failed: { code?: string } = await db
        .transaction(async (tx): Promise<{ code?: string }> => {
          await tx.query('INSERT INTO conf_t (id, note) VALUES (22, $1)', ['c']);
          await tx.query('INSERT INTO conf_t (id, note) VALUES (20, $1)', ['duplicate'], {
            lastInTransaction: true,
          });
          return {};
        })
        .catch((e: unknown) => e as { code?: string });
      expect(failed.code).toBe('23505');
      await expect(
        db.transaction(async (tx) => {
          await tx.query('SELECT 1', [], { lastInTransaction: true });
          await tx.query('SELECT 2');
        }),
      ).rejects.toThrow(/after the statement marked lastInTransaction/);
      const { rows } = await db.query<{ id: number }>(
        'SELECT id FROM conf_t WHERE id BETWEEN 20 AND 29 ORDER BY id',
      );
      expect(rows.map((r) => r.id)).toEqual([20, 21]);
    });

    it('serialises concurrent read-modify-write transactions', async () => {
      await db.query('INSERT INTO conf_t (id, amount) VALUES (100, 0)');
      await Promise.all(
        Array.from({ length: 20 }, () =>
          db.transaction(
            async (tx) => {
              const { rows } = await tx.query<{ amount: number }>(
                'SELECT amount FROM conf_t WHERE id = 100 FOR UPDATE',
              );
              await tx.query('UPDATE conf_t SET amount = $1 WHERE id = 100', [rows[0]!.amount + 1]);
            },
            { isolation: 'read committed' },
          ),
        ),
      );
      const { rows } = await db.query<{ amount: number }>('SELECT amount FROM conf_t WHERE id = 100');
      expect(rows[0]?.amount).toBe(20);
    });

    it('copies rows in bulk, awkward text intact, and refuses a duplicate key whole', async () => {
      await db.exec(
        'CREATE TABLE conf_copy (id int8 PRIMARY KEY, label text, at timestamptz, doc jsonb, ok boolean, x float8)',
      );
      const awkward = 'tab\there, line\nbreak, cr\r, back\\slash \\N, "quotes", ,;|, é ☃';
      const at = new Date('2026-05-01T12:34:56.789Z');
      const cols = ['id', 'label', 'at', 'doc', 'ok', 'x'];
      await db.copyRows('conf_copy', cols, [
        [1, awkward, at, { k: 'v\\w\t', n: 1.5 }, true, -0.25],
        [2, '', null, null, false, null],
        [3, '\\N', at, [1, 2], null, 1e-7],
      ]);
      const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM conf_copy ORDER BY id');
      expect(rows).toEqual([
        { id: 1, label: awkward, at, doc: { k: 'v\\w\t', n: 1.5 }, ok: true, x: -0.25 },
        { id: 2, label: '', at: null, doc: null, ok: false, x: null },
        { id: 3, label: '\\N', at, doc: [1, 2], ok: null, x: 1e-7 },
      ]);
      // COPY is all or nothing: one stored key fails the call and the new row is not kept either.
      const err = (await db
        .copyRows('conf_copy', cols, [
          [4, 'new', at, null, true, 0],
          [1, 'again', at, null, true, 0],
        ])
        .catch((e: unknown) => e)) as { code?: string };
      expect(err.code).toBe('23505');
      expect((await db.query('SELECT id FROM conf_copy WHERE id = 4')).rows).toEqual([]);
      // and the connection is still good afterwards
      await db.copyRows('conf_copy', cols, [[4, 'new', at, null, true, 0]]);
      expect((await db.query('SELECT count(*) AS n FROM conf_copy')).rows).toEqual([{ n: 4 }]);
    });

    it('surfaces SQL errors with their SQLSTATE', async () => {
      const err = (await db.query('SELECT * FROM no_such_table').catch((e: unknown) => e)) as {
        code?: string;
      };
      expect(err.code).toBe('42P01');
    });
  });
}
