import { GatewayError, type SqlExecutor } from '../../platform/index.js';
import { coordinatesValid } from '../locations/location-import.js';
import { clusterSnapshot, loadSnapshot } from './map-index.js';
import {
  presentTables,
  stateSql,
  type ConnectivityState,
  type MeterFlag,
  type PresentTables,
} from './map-state.js';

export type Bbox = [minLon: number, minLat: number, maxLon: number, maxLat: number];

export { METER_STATES, type MeterState } from './map-state.js';

export interface MeterFeature {
  type: 'Feature';
  geometry: { type: 'Point'; coordinates: [number, number] };
  properties: {
    id: string;
    kind: 'prepaid' | 'postpaid';
    state: ConnectivityState;
    flags: MeterFlag[];
    transformer: string | null;
  };
}

/** `minLon,minLat,maxLon,maxLat` (the order of RFC 7946 §5 and of every web map library). */
export function parseBbox(text: string): Bbox {
  const parts = text.split(',');
  const n = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (
    n.length !== 4 ||
    !coordinatesValid(n[1]!, n[0]!) ||
    !coordinatesValid(n[3]!, n[2]!) ||
    n[0]! > n[2]! ||
    n[1]! > n[3]!
  ) {
    throw new GatewayError('MG_ERR_FIELD_BAD_BBOX');
  }
  return n as Bbox;
}

/**
 * The connection points inside a bbox as a GeoJSON FeatureCollection, built by the database as one
 * JSON text (no row crosses into JavaScript). Always read fresh: a zoomed-in view (a street) holds a
 * few hundred meters, and tests and the outage view expect the state of now. `state` says whether it
 * reports, `flags` what else is known (map-state.ts); the page colours it by the most urgent. One range scan on the (lon, lat) index, then joins by key
 * on the points found (at most `limit`).
 */
export async function meterFeaturesJson(
  db: SqlExecutor,
  bbox: Bbox,
  options: { silentSeconds: number; now?: Date; limit?: number; tables?: PresentTables },
): Promise<string> {
  const now = options.now ?? new Date();
  const s = stateSql(options.tables ?? (await presentTables(db)), 5);
  const { rows } = await db.query<{ doc: string }>(
    `WITH ${s.ctes},
     inside AS (
       SELECT meter_id, lon, lat, kind, transformer_id FROM field_points
        WHERE lon BETWEEN $1 AND $3 AND lat BETWEEN $2 AND $4 LIMIT $6)
     SELECT '{"type":"FeatureCollection","features":' || coalesce(json_agg(json_build_object(
              'type', 'Feature',
              'geometry', json_build_object('type', 'Point', 'coordinates', json_build_array(p.lon, p.lat)),
              'properties', json_build_object('id', p.meter_id, 'kind', p.kind, 'state', ${s.state},
                'flags', to_json(${s.flags}), 'transformer', p.transformer_id)))::text, '[]') || '}' AS doc
       FROM inside p
       ${s.joins}`,
    [...bbox, new Date(now.getTime() - options.silentSeconds * 1000), options.limit ?? 1_000_000],
  );
  return rows[0]!.doc;
}

/** The same, parsed (tests and callers that want objects). */
export async function metersInBbox(
  db: SqlExecutor,
  bbox: Bbox,
  options: { silentSeconds: number; now?: Date; limit?: number },
): Promise<MeterFeature[]> {
  return (JSON.parse(await meterFeaturesJson(db, bbox, options)) as { features: MeterFeature[] }).features;
}

/** Each transformer at the centroid of its meters, with its feeder and meter count. */
export async function transformers(
  db: SqlExecutor,
): Promise<
  { id: string; feeder: string | null; meters: number; lon: number; lat: number; outage: boolean }[]
> {
  const { rows } = await db.query<{
    id: string;
    feeder: string | null;
    meters: number;
    lon: number;
    lat: number;
    outage: boolean;
  }>(
    `SELECT t.id, t.feeder_id AS feeder, count(p.meter_id)::int AS meters, avg(p.lon) AS lon, avg(p.lat) AS lat,
            EXISTS (SELECT 1 FROM field_outages o WHERE o.transformer_id = t.id AND o.status = 'open') AS outage
       FROM field_transformers t JOIN field_points p ON p.transformer_id = t.id
      GROUP BY t.id, t.feeder_id ORDER BY t.id`,
  );
  return rows;
}

/** Cells per side of the bbox when the map asks for clusters (a district view). */
export const DEFAULT_CLUSTER_CELLS = 48;

/**
 * The map's zoomed-out view, read fresh (callers without a MapIndex; the route keeps one): the bbox
 * cut into `cells` × `cells` squares, each non-empty one a Point at its meters' centroid with their
 * count by state and kind (map-index.ts).
 */
export async function meterClustersJson(
  db: SqlExecutor,
  bbox: Bbox,
  options: { silentSeconds: number; cells?: number; now?: Date },
): Promise<string> {
  const snap = await loadSnapshot(db, options);
  return JSON.stringify(clusterSnapshot(snap, bbox, options.cells ?? DEFAULT_CLUSTER_CELLS));
}

/** `%` and `_` typed by the user are literal, not wildcards. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface MapSearchHit {
  id: string;
  customer: string | null;
  address: string | null;
  commune: string | null;
  lon: number;
  lat: number;
}

/** Connection points whose meter id, customer id or address holds `q` (case-insensitive); exact ids first. */
export async function searchPoints(db: SqlExecutor, q: string, limit = 20): Promise<MapSearchHit[]> {
  const { rows } = await db.query<MapSearchHit>(
    `SELECT meter_id AS id, customer_id AS customer, address, commune, lon, lat FROM field_points
      WHERE meter_id ILIKE $1 OR customer_id ILIKE $1 OR address ILIKE $1
      ORDER BY (lower(meter_id) = lower($2) OR lower(customer_id) = lower($2)) DESC, meter_id
      LIMIT $3`,
    [likePattern(q), q, limit],
  );
  return rows;
}

/** Open work orders (installations from the agency's connection requests included) at their place. */
export interface MapWorkOrder {
  id: string;
  kind: string;
  status: string;
  meter: string | null;
  trackingNumber: string | null;
  lon: number;
  lat: number;
}

export async function openWorkOrders(db: SqlExecutor): Promise<MapWorkOrder[]> {
  const { rows } = await db.query<MapWorkOrder>(
    `SELECT * FROM (
       SELECT w.id::text AS id, w.kind, w.status, w.meter_id AS meter, w.tracking_number AS "trackingNumber",
              coalesce(w.lon, p.lon) AS lon, coalesce(w.lat, p.lat) AS lat
         FROM field_work_orders w LEFT JOIN field_points p ON w.lat IS NULL AND p.meter_id = w.meter_id
        WHERE w.status NOT IN ('completed', 'cancelled')) located
      WHERE lat IS NOT NULL ORDER BY id::bigint LIMIT 2000`,
  );
  return rows;
}
