import type { SqlExecutor } from '../../platform/index.js';
import type { Bbox } from './map-query.js';

/** The layer's feature kinds: a customer's claim, or a connection request (with its installation). */
export const CASE_LAYER_KINDS = ['claim', 'connection'] as const;

export interface CaseFeature {
  type: 'Feature';
  geometry: { type: 'Point'; coordinates: [number, number] };
  properties: {
    /** The agency's tracking number (RC-… claim, DM-… request). */
    id: string;
    kind: (typeof CASE_LAYER_KINDS)[number];
    category: string;
    status: string;
    subject: string;
    targetDate: string;
    meter: string | null;
    address: string | null;
    /** The installation work order of a connection request, and its status. */
    workOrder: string | null;
    workOrderStatus: string | null;
  };
}

/** The request's own position, when it holds two numbers (requests filed before positions were checked may not). */
const GIVEN = `jsonb_typeof(c.details->'lat') = 'number' AND jsonb_typeof(c.details->'lon') = 'number'`;

/**
 * The agency's open cases on the map, as one GeoJSON FeatureCollection built by the database: open
 * claims at the claimant's meter (the meter the claim names, else the customer's first connection
 * point), open connection requests at the place of their installation work order (the address's
 * position the customer gave, or where the installer set the meter), else the request's own
 * position. A case with no known position is not drawn. The agency's tables belong to the customers
 * domain: a gateway without them has an empty layer.
 */
export async function caseFeaturesJson(db: SqlExecutor, bbox: Bbox, limit = 5_000): Promise<string> {
  const present = await db.query<{ ok: boolean }>(`SELECT to_regclass('agency_cases') IS NOT NULL AS ok`);
  if (!present.rows[0]?.ok) return '{"type":"FeatureCollection","features":[]}';
  const { rows } = await db.query<{ doc: string }>(
    `WITH claims AS (
       SELECT c.tracking_number, 'claim' AS kind, c.category, c.status, c.subject, c.target_date, c.meter,
              coalesce(pm.lon, pc.lon) AS lon, coalesce(pm.lat, pc.lat) AS lat,
              coalesce(pm.address, pc.address) AS address, NULL::text AS wo, NULL::text AS wo_status
         FROM agency_cases c
         LEFT JOIN field_points pm ON pm.meter_id = c.meter
         LEFT JOIN LATERAL (SELECT lon, lat, address FROM field_points f WHERE f.customer_id = c.customer_id
                             ORDER BY f.meter_id LIMIT 1) pc ON pm.meter_id IS NULL
        WHERE c.kind = 'claim' AND c.status NOT IN ('resolved', 'rejected')),
     requests AS (
       SELECT c.tracking_number, 'connection' AS kind, c.category, c.status, c.subject, c.target_date,
              w.meter_id AS meter,
              CASE WHEN w.lat IS NOT NULL THEN w.lon WHEN ${GIVEN} THEN (c.details->>'lon')::float8 END AS lon,
              CASE WHEN w.lat IS NOT NULL THEN w.lat WHEN ${GIVEN} THEN (c.details->>'lat')::float8 END AS lat,
              coalesce(w.address, c.details->>'address') AS address, w.id::text AS wo, w.status AS wo_status
         FROM agency_cases c
         LEFT JOIN field_work_orders w ON w.tracking_number = c.tracking_number AND w.status <> 'cancelled'
        WHERE c.kind = 'request' AND c.category = 'connection' AND c.status NOT IN ('resolved', 'rejected')),
     inside AS (
       SELECT * FROM (SELECT * FROM claims UNION ALL SELECT * FROM requests) x
        WHERE lon BETWEEN $1 AND $3 AND lat BETWEEN $2 AND $4
        ORDER BY tracking_number LIMIT $5)
     SELECT '{"type":"FeatureCollection","features":' || coalesce(json_agg(json_build_object(
              'type', 'Feature',
              'geometry', json_build_object('type', 'Point', 'coordinates', json_build_array(lon, lat)),
              'properties', json_build_object('id', tracking_number, 'kind', kind, 'category', category,
                'status', status, 'subject', subject, 'targetDate', to_char(target_date, 'YYYY-MM-DD'),
                'meter', meter, 'address', address, 'workOrder', wo, 'workOrderStatus', wo_status))
              ORDER BY tracking_number)::text, '[]') || '}' AS doc
       FROM inside`,
    [...bbox, limit],
  );
  return rows[0]!.doc;
}
