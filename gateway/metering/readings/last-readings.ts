import type { SqlDatabase } from '../../platform/index.js';
import type { StoredReading } from './reading-store.js';

export interface LastReading {
  ts: Date;
  values: Record<string, number>;
  seq: number;
  quality: string;
}

export interface MeterSummary {
  id: string;
  lastReading: LastReading | null;
  firstSeen: Date;
}

/**
 * The live state of each meter (its newest live reading), in SQL whatever the reading store.
 * Historical (store-and-forward) readings never move it; an older reading never replaces a newer one.
 */
export class LastReadingStore {
  private readonly db: SqlDatabase;

  constructor(options: { db: SqlDatabase }) {
    this.db = options.db;
  }

  async update(readings: readonly StoredReading[]): Promise<void> {
    const newest = new Map<string, StoredReading>();
    for (const r of readings) {
      if (r.historical) continue;
      const cur = newest.get(r.meterId);
      if (!cur || r.ts > cur.ts) newest.set(r.meterId, r);
    }
    if (newest.size === 0) return;
    const list = [...newest.values()];
    await this.db.query(
      `INSERT INTO meter_last_reading AS l (meter_id, ts, seq, "values", quality, source)
       SELECT m, t, s, v::jsonb, q, src FROM unnest($1::text[], $2::timestamptz[], $3::int8[], $4::text[], $5::text[], $6::text[]) AS x(m, t, s, v, q, src)
       ON CONFLICT (meter_id) DO UPDATE SET ts = excluded.ts, seq = excluded.seq, "values" = excluded."values",
         quality = excluded.quality, source = excluded.source, updated_at = now()
       WHERE excluded.ts >= l.ts`,
      [
        list.map((r) => r.meterId),
        list.map((r) => r.ts),
        list.map((r) => r.seq),
        list.map((r) => JSON.stringify(r.values)),
        list.map((r) => r.quality),
        list.map((r) => r.source),
      ],
    );
  }

  async list(meterIds?: readonly string[]): Promise<MeterSummary[]> {
    const { rows } = await this.db.query<{
      meter_id: string;
      ts: Date;
      seq: number;
      values: Record<string, number>;
      quality: string;
      first_seen: Date;
    }>(
      meterIds
        ? `SELECT * FROM meter_last_reading WHERE meter_id = ANY($1::text[]) ORDER BY meter_id`
        : `SELECT * FROM meter_last_reading ORDER BY meter_id`,
      meterIds ? [meterIds] : [],
    );
    return rows.map((r) => ({
      id: r.meter_id,
      firstSeen: r.first_seen,
      lastReading: { ts: r.ts, values: r.values, seq: r.seq, quality: r.quality },
    }));
  }

  async get(meterId: string): Promise<LastReading | null> {
    const [m] = await this.list([meterId]);
    return m?.lastReading ?? null;
  }
}
