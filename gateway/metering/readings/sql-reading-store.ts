import { isUniqueViolation, type SqlDatabase } from '../../platform/index.js';
import type { RegisterPoint } from '../rollups/index.js';
import {
  bucketTakesNewest,
  RESOLUTION_MS,
  type ReadingQuery,
  type ReadingRow,
  type ReadingStore,
  type StoredReading,
} from './reading-store.js';

// Values travel as JSON text and are cast in SQL: the same statement then means the same thing on
// PGlite and node-postgres, whatever each driver does with jsonb[] parameters.
const WRITE_SQL = `
INSERT INTO readings (meter_id, ts, seq, "values", quality, source, historical)
SELECT m, t, s, v::jsonb, q, src, h
FROM unnest($1::text[], $2::timestamptz[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::bool[]) AS x(m, t, s, v, q, src, h)
ON CONFLICT (meter_id, ts) DO UPDATE SET seq = excluded.seq, "values" = excluded."values",
  quality = excluded.quality, source = excluded.source, historical = excluded.historical, stored_at = now()`;

const COPY_COLUMNS = ['meter_id', 'ts', 'seq', 'values', 'quality', 'source', 'historical'] as const;

/**
 * One reading per (meter, ts), the last of each, in batch order: neither COPY nor the upsert takes a
 * key twice in one statement. Keyed by meter then epoch ms rather than by a joined string, so a batch
 * without repeats (nearly all of them) builds no key strings and is returned as it came.
 */
function lastPerKey(readings: readonly StoredReading[]): readonly StoredReading[] {
  const byMeter = new Map<string, Map<number, number>>();
  let repeats = 0;
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i]!;
    let times = byMeter.get(r.meterId);
    if (!times) byMeter.set(r.meterId, (times = new Map()));
    const t = r.ts.getTime();
    if (times.has(t)) repeats++;
    times.set(t, i);
  }
  if (repeats === 0) return readings;
  const keep = new Set<number>();
  for (const times of byMeter.values()) for (const i of times.values()) keep.add(i);
  return readings.filter((_, i) => keep.has(i));
}

/**
 * Readings in the gateway's SQL database: PGlite (embedded default) or PostgreSQL, same SQL.
 *
 * A batch is first offered to COPY, which on PGlite costs half of the upsert (no array parameters to
 * bind and parse). COPY cannot skip or replace a row already stored, so a batch holding one — a
 * redelivery after a crash or a reconnect, a device replaying its outbox — fails whole and is written
 * again with the upsert; later batches then go straight to the upsert for a while, since redelivered
 * readings come in runs. Either way the result is the upsert's: one row per (meter, ts), last wins.
 */
export class SqlReadingStore implements ReadingStore {
  readonly kind: 'pglite' | 'postgres';
  private readonly db: SqlDatabase;
  private readonly upsertAfterConflict: number;
  private upsertsLeft = 0;
  private readonly counts = { copied: 0, upserted: 0, conflicts: 0 };

  constructor(options: {
    db: SqlDatabase;
    /** Batches written with the upsert after a COPY met a stored row (default 20; 0: never COPY). */
    upsertBatchesAfterConflict?: number;
  }) {
    this.db = options.db;
    this.kind = options.db.kind;
    this.upsertAfterConflict = options.upsertBatchesAfterConflict ?? 20;
  }

  /** How batches were written: by COPY, by the upsert, and how many COPYs met a stored row. */
  writePaths(): { copied: number; upserted: number; conflicts: number } {
    return { ...this.counts };
  }

  async start(): Promise<void> {
    // Tables come from READINGS_MIGRATIONS, run by the gateway (or the test) before start.
    await this.db.query('SELECT 1 FROM readings LIMIT 0');
  }

  async stop(): Promise<void> {}

  async write(readings: readonly StoredReading[]): Promise<void> {
    if (readings.length === 0) return;
    const list = lastPerKey(readings);
    if (this.upsertsLeft === 0 && this.upsertAfterConflict > 0) {
      try {
        await this.db.copyRows(
          'readings',
          COPY_COLUMNS,
          list.map((r) => [r.meterId, r.ts, r.seq, r.values, r.quality, r.source, r.historical]),
        );
        this.counts.copied++;
        return;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        this.counts.conflicts++;
        this.upsertsLeft = this.upsertAfterConflict;
      }
    } else if (this.upsertsLeft > 0) this.upsertsLeft--;
    this.counts.upserted++;
    await this.db.query(WRITE_SQL, [
      list.map((r) => r.meterId),
      list.map((r) => r.ts),
      list.map((r) => r.seq),
      list.map((r) => JSON.stringify(r.values)),
      list.map((r) => r.quality),
      list.map((r) => r.source),
      list.map((r) => r.historical),
    ]);
  }

  async readings(query: ReadingQuery): Promise<ReadingRow[]> {
    const limit = Math.min(query.limit ?? 10_000, 100_000);
    const resolution = query.resolution ?? 'raw';
    if (resolution === 'raw') {
      const { rows } = await this.db.query<{
        ts: Date;
        values: Record<string, number>;
        seq: number;
        quality: string;
      }>(
        `SELECT ts, "values", seq, quality FROM readings WHERE meter_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT $4`,
        [query.meterId, query.from, query.to, limit],
      );
      return rows;
    }
    const bucketSeconds = RESOLUTION_MS[resolution] / 1000;
    const { rows } = await this.db.query<{ bucket: Date; key: string; reg: number; avg: number; n: number }>(
      `SELECT to_timestamp(floor(extract(epoch FROM r.ts) / $4) * $4) AS bucket, e.key,
              max(e.value::float8) AS reg, avg(e.value::float8) AS avg, count(DISTINCT r.ts)::int AS n
       FROM readings r, jsonb_each_text(r."values") e
       WHERE r.meter_id = $1 AND r.ts >= $2 AND r.ts < $3
       GROUP BY 1, 2 ORDER BY 1`,
      [query.meterId, query.from, query.to, bucketSeconds],
    );
    const out = new Map<number, ReadingRow>();
    for (const r of rows) {
      const t = r.bucket.getTime();
      let row = out.get(t);
      if (!row) out.set(t, (row = { ts: r.bucket, values: {}, count: 0 }));
      row.values[r.key] = bucketTakesNewest(r.key) ? r.reg : r.avg;
      row.count = Math.max(row.count ?? 0, r.n);
    }
    return [...out.values()].slice(0, limit);
  }

  async count(query: { meterId?: string } = {}): Promise<number> {
    const { rows } = query.meterId
      ? await this.db.query<{ n: number }>('SELECT count(*) AS n FROM readings WHERE meter_id = $1', [
          query.meterId,
        ])
      : await this.db.query<{ n: number }>('SELECT count(*) AS n FROM readings');
    return rows[0]?.n ?? 0;
  }

  async prune(before: Date): Promise<void> {
    await this.db.query('DELETE FROM readings WHERE ts < $1', [before]);
  }

  async registerPoints(q: { meterId: string; obis: string; from: Date; to: Date }): Promise<RegisterPoint[]> {
    const { rows } = await this.db.query<{ ts: Date; value: number }>(
      `SELECT ts, ("values"->>$2)::float8 AS value FROM readings
       WHERE meter_id = $1 AND ts >= $3 AND ts < $4 AND "values" ? $2 ORDER BY ts`,
      [q.meterId, q.obis, q.from, q.to],
    );
    return rows.map((r) => ({ ts: r.ts.getTime(), value: r.value }));
  }

  async registerNeighbour(q: {
    meterId: string;
    obis: string;
    ts: Date;
    direction: 'before' | 'after';
  }): Promise<RegisterPoint | undefined> {
    const sql =
      q.direction === 'before'
        ? `SELECT ts, ("values"->>$2)::float8 AS value FROM readings WHERE meter_id = $1 AND ts < $3 AND "values" ? $2 ORDER BY ts DESC LIMIT 1`
        : `SELECT ts, ("values"->>$2)::float8 AS value FROM readings WHERE meter_id = $1 AND ts >= $3 AND "values" ? $2 ORDER BY ts ASC LIMIT 1`;
    const { rows } = await this.db.query<{ ts: Date; value: number }>(sql, [q.meterId, q.obis, q.ts]);
    const r = rows[0];
    return r ? { ts: r.ts.getTime(), value: r.value } : undefined;
  }
}
