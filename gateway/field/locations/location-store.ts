import { GatewayError, type SqlDatabase, type SqlExecutor } from '../../platform/index.js';
import { knownMeters } from '../known-meters.js';
import type { LineError, ParsedPoints, PointInput } from './location-import.js';

export interface ConnectionPoint extends PointInput {
  customerId?: string;
  feeder?: string;
}

export type ImportResult = { ok: true; imported: number } | { ok: false; errors: LineError[] };

const UPSERT_POINTS = `
INSERT INTO field_points AS p (meter_id, lat, lon, address, commune, province, region, transformer_id,
  concentrator_id, kind, reading, customer_id, updated_at)
SELECT * , now() FROM unnest($1::text[], $2::float8[], $3::float8[], $4::text[], $5::text[], $6::text[], $7::text[],
  $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
ON CONFLICT (meter_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon, address = excluded.address,
  commune = excluded.commune, province = excluded.province, region = excluded.region,
  transformer_id = excluded.transformer_id, concentrator_id = excluded.concentrator_id, kind = excluded.kind,
  reading = excluded.reading, customer_id = excluded.customer_id, updated_at = now()`;

/** Connection points and the network above them (feeders, transformers, concentrators). */
export class LocationStore {
  private readonly db: SqlDatabase;

  constructor(options: { db: SqlDatabase }) {
    this.db = options.db;
  }

  /**
   * All or nothing: every line's meter must be known (prepaid ledger, contracts or seen reporting);
   * the network elements named are created on the way. Nothing is written when a line is bad.
   * `trusted`: the composition's own seed (the demo lays out its simulated fleet before it reports).
   */
  async import(parsed: ParsedPoints, options: { trusted?: boolean } = {}): Promise<ImportResult> {
    if (!parsed.ok) return parsed;
    const known = await knownMeters(
      this.db,
      parsed.points.map((p) => p.point.meter),
    );
    const errors = parsed.points
      .filter((p) => !options.trusted && !known.has(p.point.meter))
      .map((p) => ({ line: p.line, reason: `unknown meter ${p.point.meter}` }));
    if (errors.length) return { ok: false, errors: errors.slice(0, 1000) };
    const points = parsed.points.map(({ point }) => {
      const k = known.get(point.meter) ?? { id: point.meter };
      return { ...point, kind: point.kind ?? k.kind ?? 'postpaid', customerId: k.customerId };
    });
    await this.db.transaction((tx) => this.write(tx, points));
    return { ok: true, imported: points.length };
  }

  /** One connection point set through the API (same checks as one import line). */
  async set(point: PointInput): Promise<ConnectionPoint> {
    const result = await this.import({ ok: true, points: [{ line: 1, point }] });
    if (!result.ok)
      throw new GatewayError('MG_ERR_FIELD_UNKNOWN_METER', { params: { meterId: point.meter } });
    return (await this.get(point.meter))!;
  }

  async get(meter: string): Promise<ConnectionPoint | undefined> {
    const { rows } = await this.db.query<Record<string, string | number | null>>(
      `SELECT p.meter_id AS meter, p.lat, p.lon, p.address, p.commune, p.province, p.region,
              p.transformer_id AS transformer, p.concentrator_id AS concentrator, t.feeder_id AS feeder,
              p.kind, p.reading, p.customer_id AS "customerId"
         FROM field_points p LEFT JOIN field_transformers t ON t.id = p.transformer_id WHERE p.meter_id = $1`,
      [meter],
    );
    const r = rows[0];
    if (!r) return undefined;
    return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as unknown as ConnectionPoint;
  }

  private async write(tx: SqlExecutor, points: (PointInput & { customerId?: string })[]): Promise<void> {
    const feeders = [...new Set(points.flatMap((p) => (p.feeder ? [p.feeder] : [])))];
    if (feeders.length) {
      await tx.query('INSERT INTO field_feeders (id) SELECT unnest($1::text[]) ON CONFLICT (id) DO NOTHING', [
        feeders,
      ]);
    }
    const transformers = new Map<string, string | null>();
    for (const p of points) {
      if (p.transformer) transformers.set(p.transformer, p.feeder ?? transformers.get(p.transformer) ?? null);
    }
    if (transformers.size) {
      await tx.query(
        `INSERT INTO field_transformers AS t (id, feeder_id) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (id) DO UPDATE SET feeder_id = coalesce(excluded.feeder_id, t.feeder_id)`,
        [[...transformers.keys()], [...transformers.values()]],
      );
    }
    const concentrators = new Map<string, string>();
    for (const p of points) if (p.concentrator) concentrators.set(p.concentrator, p.transformer!);
    if (concentrators.size) {
      await tx.query(
        `INSERT INTO field_concentrators AS c (id, transformer_id) SELECT * FROM unnest($1::text[], $2::text[])
         ON CONFLICT (id) DO UPDATE SET transformer_id = excluded.transformer_id`,
        [[...concentrators.keys()], [...concentrators.values()]],
      );
    }
    const col = <K extends keyof (PointInput & { customerId?: string })>(k: K) =>
      points.map((p) => p[k] ?? null);
    await tx.query(UPSERT_POINTS, [
      col('meter'),
      col('lat'),
      col('lon'),
      col('address'),
      col('commune'),
      col('province'),
      col('region'),
      col('transformer'),
      col('concentrator'),
      col('kind'),
      points.map((p) => p.reading ?? 'remote'),
      col('customerId'),
    ]);
  }
}
