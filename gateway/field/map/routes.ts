import { Type, type TLiteral, type TProperties } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorAnswerSchema, invalidRequest, type SqlExecutor } from '../../platform/index.js';
import { basemapTopology } from './basemap.js';
import { CASE_LAYER_KINDS, caseFeaturesJson } from './case-layer.js';
import { clusterSnapshot, MapIndex, snapshotBounds } from './map-index.js';
import {
  DEFAULT_CLUSTER_CELLS,
  meterFeaturesJson,
  openWorkOrders,
  parseBbox,
  searchPoints,
  transformers,
} from './map-query.js';
import {
  CONNECTIVITY_STATES,
  METER_FLAGS,
  METER_STATES,
  presentTables,
  type ConnectivityState,
  type MeterFlag,
  type PresentTables,
} from './map-state.js';

export interface MapPluginOptions {
  db: SqlExecutor;
  /** A meter without a reading for this long is `silent` on the map. */
  silentSeconds: number;
  /**
   * A tile server for utilities that run one (`{z}/{x}/{y}` template, e.g.
   * `https://tiles.example.ma/{z}/{x}/{y}.png`; config `map.tileUrl` / METERGATE_MAP_TILE_URL); none
   * (the page draws the shipped Natural Earth boundaries only, which need no network).
   */
  tileUrl?: string;
  /** Credit line shown under the tiles (config `map.tileAttribution`). */
  tileAttribution?: string;
  /** How old the zoomed-out view's counts may be (ms, default 5,000). */
  clusterMaxAgeMs?: number;
}

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const PointGeometry = Type.Object({
  type: Type.Literal('Point'),
  coordinates: Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[lon, lat] WGS 84' }),
});
/** A GeoJSON Point feature with these properties. */
const pointFeature = <P extends TProperties>(properties: P) =>
  Type.Object({
    type: Type.Literal('Feature'),
    geometry: PointGeometry,
    properties: Type.Object(properties),
  });
const MeterFeature = pointFeature({
  id: Type.String(),
  kind: Type.Union([Type.Literal('prepaid'), Type.Literal('postpaid')]),
  state: Type.Union([...CONNECTIVITY_STATES].map((s) => Type.Literal(s)) as [TLiteral<ConnectivityState>], {
    description:
      'whether it reports: reporting, silent, outage (its transformer is out), unread (never reported)',
  }),
  flags: Type.Array(Type.Union([...METER_FLAGS].map((s) => Type.Literal(s)) as [TLiteral<MeterFlag>]), {
    description: 'what else is known: relay-open, low-credit, anomaly (vs last year), estimated (this month)',
  }),
  transformer: Nullable(Type.String()),
});

/** The query string's coercion lets "Infinity" through an integer schema: refused here. */
function finiteInteger(value: number | undefined, field: string): void {
  if (value !== undefined && !Number.isSafeInteger(value)) {
    throw invalidRequest({ field: `querystring/${field}`, reason: 'an integer' });
  }
}

/** The map's data: meters in a bbox as GeoJSON (RFC 7946), and the transformers. */
export const mapPlugin: FastifyPluginAsyncTypebox<MapPluginOptions> = async (app, options) => {
  const index = new MapIndex({
    db: options.db,
    silentSeconds: options.silentSeconds,
    ...(options.clusterMaxAgeMs !== undefined ? { maxAgeMs: options.clusterMaxAgeMs } : {}),
    onError: (err) => app.log.error({ err }, 'map: refreshing the cluster index failed'),
  });
  // Which other domains' tables exist (for the states they give), re-checked now and then: a
  // domain may migrate after this plugin starts.
  let tables: { at: number; present: Promise<PresentTables> } | undefined;
  const present = () => {
    if (!tables || Date.now() - tables.at > 30_000) {
      tables = { at: Date.now(), present: presentTables(options.db) };
      tables.present.catch(() => (tables = undefined));
    }
    return tables.present;
  };
  const tileUrl = options.tileUrl ?? null;
  const tileAttribution = options.tileAttribution ?? null;

  app.get(
    '/api/map/meters',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'meters inside a bbox as a GeoJSON FeatureCollection of Points (state, kind, transformer)',
        tags: ['field'],
        querystring: Type.Object(
          {
            bbox: Type.String({ maxLength: 200, description: 'minLon,minLat,maxLon,maxLat (WGS 84)' }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ type: Type.Literal('FeatureCollection'), features: Type.Array(MeterFeature) }),
          400: ErrorAnswerSchema,
        },
      },
    },
    async (request, reply) => {
      const bbox = parseBbox(request.query.bbox);
      finiteInteger(request.query.limit, 'limit');
      const doc = await meterFeaturesJson(options.db, bbox, {
        silentSeconds: options.silentSeconds,
        tables: await present(),
        ...(request.query.limit ? { limit: request.query.limit } : {}),
      });
      // Already JSON (built by the database, in the shape of the schema above): a string payload is
      // sent as it is, never re-serialised; the cast only tells the type provider so.
      return reply.type('application/geo+json; charset=utf-8').send(doc as never);
    },
  );

  app.get(
    '/api/map/clusters',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'the zoomed-out map: meters of a bbox counted by state and kind in a grid of cells (GeoJSON Points)',
        tags: ['field'],
        querystring: Type.Object(
          {
            bbox: Type.String({ maxLength: 200, description: 'minLon,minLat,maxLon,maxLat (WGS 84)' }),
            cells: Type.Optional(
              Type.Integer({ minimum: 1, maximum: 256, description: 'cells per side (default 48)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            type: Type.Literal('FeatureCollection'),
            features: Type.Array(
              pointFeature({
                cluster: Type.Literal(true),
                id: Type.String(),
                count: Type.Integer(),
                prepaid: Type.Integer(),
                ...Object.fromEntries(METER_STATES.map((st) => [st, Type.Integer()])),
              }),
            ),
            generatedAt: Type.String({ format: 'date-time', description: 'when the counts were read' }),
          }),
          400: ErrorAnswerSchema,
        },
      },
    },
    async (request, reply) => {
      finiteInteger(request.query.cells, 'cells');
      const bbox = parseBbox(request.query.bbox);
      const snap = await index.snapshot();
      const doc = JSON.stringify(clusterSnapshot(snap, bbox, request.query.cells ?? DEFAULT_CLUSTER_CELLS));
      return reply.type('application/geo+json; charset=utf-8').send(doc as never);
    },
  );

  app.get(
    '/api/map/transformers',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'distribution transformers at the centroid of their meters, with feeder and open outage',
        tags: ['field'],
        response: {
          200: Type.Object({
            transformers: Type.Array(
              Type.Object({
                id: Type.String(),
                feeder: Nullable(Type.String()),
                meters: Type.Integer(),
                lon: Type.Number(),
                lat: Type.Number(),
                outage: Type.Boolean(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ transformers: await transformers(options.db) }),
  );

  app.get(
    '/api/map/config',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'the map page’s settings: tile server (if any), the network’s extent, the meter states',
        tags: ['field'],
        response: {
          200: Type.Object({
            tileUrl: Nullable(Type.String()),
            tileAttribution: Nullable(Type.String()),
            bounds: Type.Union([Type.Array(Type.Number(), { minItems: 4, maxItems: 4 }), Type.Null()]),
            meters: Type.Integer(),
            states: Type.Array(Type.String()),
          }),
        },
      },
    },
    async () => {
      const snap = await index.snapshot();
      return {
        tileUrl,
        tileAttribution,
        bounds: snapshotBounds(snap),
        meters: snap.ids.length,
        states: [...METER_STATES],
      };
    },
  );

  app.get(
    '/api/map/search',
    {
      config: { roles: ['operator'] },
      schema: {
        summary: 'connection points by meter id, customer id or address (case-insensitive, 20 at most)',
        tags: ['field'],
        querystring: Type.Object(
          { q: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            results: Type.Array(
              Type.Object({
                id: Type.String(),
                customer: Nullable(Type.String()),
                address: Nullable(Type.String()),
                commune: Nullable(Type.String()),
                lon: Type.Number(),
                lat: Type.Number(),
              }),
            ),
          }),
          400: ErrorAnswerSchema,
        },
      },
    },
    async (request) => ({
      results: await searchPoints(options.db, request.query.q.trim() || request.query.q),
    }),
  );

  app.get(
    '/api/map/work-orders',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'open work orders (installations, exchanges, disconnections, inspections) at their place: the meter’s, or the address of an agency connection request',
        tags: ['field'],
        response: {
          200: Type.Object({
            workOrders: Type.Array(
              Type.Object({
                id: Type.String(),
                kind: Type.String(),
                status: Type.String(),
                meter: Nullable(Type.String()),
                trackingNumber: Nullable(Type.String()),
                lon: Type.Number(),
                lat: Type.Number(),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ workOrders: await openWorkOrders(options.db) }),
  );

  app.get(
    '/api/map/cases',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'the agency’s open claims (at the claimant’s meter) and open connection requests (at their address’s position, with their installation work order) inside a bbox, as GeoJSON Points',
        tags: ['field'],
        querystring: Type.Object(
          {
            bbox: Type.String({ maxLength: 200, description: 'minLon,minLat,maxLon,maxLat (WGS 84)' }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            type: Type.Literal('FeatureCollection'),
            features: Type.Array(
              pointFeature({
                id: Type.String({ description: 'the tracking number (RC-… claim, DM-… request)' }),
                kind: Type.Union(CASE_LAYER_KINDS.map((k) => Type.Literal(k))),
                category: Type.String(),
                status: Type.String({ description: 'the case’s status in the agency' }),
                subject: Type.String(),
                targetDate: Type.String({ format: 'date' }),
                meter: Nullable(Type.String()),
                address: Nullable(Type.String()),
                workOrder: Nullable(Type.String()),
                workOrderStatus: Nullable(Type.String()),
              }),
            ),
          }),
          400: ErrorAnswerSchema,
        },
      },
    },
    async (request, reply) => {
      const doc = await caseFeaturesJson(options.db, parseBbox(request.query.bbox));
      // Built by the database in the shape above: sent as it is (see /api/map/meters).
      return reply.type('application/geo+json; charset=utf-8').send(doc as never);
    },
  );

  app.get(
    '/api/map/basemap',
    {
      config: { roles: ['operator'] },
      schema: {
        summary:
          'the offline basemap: Natural Earth 1:50m country boundaries as TopoJSON (world-atlas), no network needed',
        tags: ['field'],
        response: {
          200: Type.Object(
            { type: Type.Literal('Topology') },
            { additionalProperties: true, description: 'TopoJSON (topojson-specification)' },
          ),
        },
      },
    },
    async (_request, reply) =>
      // A Buffer is sent as it is (never through the response serializer); the cast tells the types.
      reply
        .type('application/json; charset=utf-8')
        .header('cache-control', 'private, max-age=86400')
        .send(basemapTopology() as never),
  );
};
