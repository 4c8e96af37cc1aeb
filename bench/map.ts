import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { FieldFeature, FIELD_MIGRATIONS, meterFeaturesJson, type Bbox } from '../gateway/field/index.js';
import { loadSnapshot, MapIndex } from '../gateway/field/map/map-index.js';
import { READINGS_MIGRATIONS } from '../gateway/metering/index.js';
import { openDatabase, runMigrations, type SqlDatabase } from '../gateway/platform/index.js';
import { freshPostgres } from './fresh-postgres.js';
import { machineInfo, median, percentile } from './machine.js';
import type { Benchmark } from './types.js';

/**
 * The map's query for a whole district: N connection points spread over ~6 × 4 km of Rabat behind
 * N/400 transformers, 1 in 3 prepaid, 1 in 50 silent, one open outage. At district zoom the map asks
 * for clusters (GET /api/map/clusters: an 18 × 18 grid counted by state from the in-memory index,
 * gateway/field/map/map-index.ts): `bboxQueryMs` and `p99Ms` time that request, end to end through
 * fastify, with the index refreshing in the background as it does in service. `index.build` times
 * reading every position and state (first request, or after an import); `index.refresh` what the
 * index re-reads every 5 s while someone looks at the map (the state sets and the last readings).
 * `street` times a zoomed-in view (GET /api/map/meters on ~300 × 300 m, fresh SQL); `allPoints`
 * every meter of the district as GeoJSON Points, for comparison: its size grows with N (≈ 170
 * bytes a meter).
 */
const DISTRICT: Bbox = [-6.9, 33.93, -6.83, 33.97];
const STREET: Bbox = [-6.87, 33.95, -6.8665, 33.953];
const RUNS = 30;
const PAGE_CELLS = 18;

async function seed(db: SqlDatabase, meters: number): Promise<void> {
  await runMigrations(db, [...READINGS_MIGRATIONS, ...FIELD_MIGRATIONS]);
  const transformers = Math.max(1, Math.ceil(meters / 400));
  await db.query(`INSERT INTO field_feeders (id) SELECT 'F-' || f FROM generate_series(1, $1::int) f`, [
    Math.ceil(transformers / 10),
  ]);
  await db.query(
    `INSERT INTO field_transformers (id, feeder_id) SELECT 'T-' || t, 'F-' || (1 + (t - 1) / 10) FROM generate_series(1, $1::int) t`,
    [transformers],
  );
  // Deterministic positions: a low-discrepancy spread over the district's bbox.
  await db.query(
    `INSERT INTO field_points (meter_id, lat, lon, commune, transformer_id, kind)
     SELECT 'M-' || i, $2::float8 + ((i * 0.6180339887) - floor(i * 0.6180339887)) * ($3::float8 - $2::float8),
            $4::float8 + ((i * 0.7548776662) - floor(i * 0.7548776662)) * ($5::float8 - $4::float8),
            'Agdal-Riyad', 'T-' || (1 + i % $6::int), CASE WHEN i % 3 = 0 THEN 'prepaid' ELSE 'postpaid' END
       FROM generate_series(1, $1::int) i`,
    [meters, DISTRICT[1], DISTRICT[3], DISTRICT[0], DISTRICT[2], transformers],
  );
  await db.query(
    `INSERT INTO meter_last_reading (meter_id, ts, seq, "values", quality, source)
     SELECT 'M-' || i, now() - CASE WHEN i % 50 = 0 THEN interval '2 hours' ELSE interval '5 seconds' END, 1, '{}', 'good', 'mqtt'
       FROM generate_series(1, $1::int) i`,
    [meters],
  );
  await db.query(
    `INSERT INTO field_outages (status, started_at, transformer_id, meters, customers)
     SELECT 'open', now(), 'T-1', array_agg(meter_id), '{}' FROM field_points WHERE transformer_id = 'T-1'`,
  );
  await db.query('ANALYZE');
}

async function timed(runs: number, once: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    await once();
    if (i >= 2) out.push(performance.now() - t0); // two warm-up runs
  }
  return out;
}

async function measure(db: SqlDatabase, meters: number) {
  const field = new FieldFeature({ db, detect: false });
  const app = Fastify();
  for (const p of field.plugins) await app.register(p.plugin, p.options);
  await app.ready();
  const r = (x: number) => Math.round(x * 10) / 10;
  const stats = (xs: number[]) => ({ medianMs: r(median(xs)), p99Ms: r(percentile(xs, 99)) });
  try {
    const bbox = DISTRICT.join(',');
    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url });
      if (res.statusCode !== 200) throw new Error(`${url}: HTTP ${res.statusCode} ${res.body.slice(0, 200)}`);
      return res.body;
    };
    const points = JSON.parse(await get(`/api/map/meters?bbox=${bbox}`)) as { features: unknown[] };
    if (points.features.length !== meters) {
      throw new Error(`the district holds ${meters} meters, the query found ${points.features.length}`);
    }
    const cold = await timed(3, () => loadSnapshot(db, { silentSeconds: 30 }));
    const index = new MapIndex({ db, silentSeconds: 30 });
    await index.refresh();
    const refresh = await timed(10, () => index.refresh());
    // As the page asks: its cells from its size (a 1280 × 900 window: 1280 / CELL_PX 72 ≈ 18 per
    // side), and the view panned a little at each request, as a person moving the map does.
    let pan = 0;
    const clustersHttp = await timed(RUNS, () => {
      const d = ++pan * 0.0002;
      const view = [DISTRICT[0] + d, DISTRICT[1], DISTRICT[2] + d, DISTRICT[3]].map((x) => x.toFixed(6));
      return get(`/api/map/clusters?bbox=${view.join(',')}&cells=${PAGE_CELLS}`);
    });
    const clusters = JSON.parse(await get(`/api/map/clusters?bbox=${bbox}`)) as {
      features: { properties: { count: number } }[];
    };
    const counted = clusters.features.reduce((n, f) => n + f.properties.count, 0);
    if (counted !== meters) throw new Error(`the clusters count ${counted} meters, not ${meters}`);
    const street = await timed(RUNS, () => get(`/api/map/meters?bbox=${STREET.join(',')}`));
    const streetMeters = (
      JSON.parse(await get(`/api/map/meters?bbox=${STREET.join(',')}`)) as { features: [] }
    ).features.length;
    const features = await timed(5, () => meterFeaturesJson(db, DISTRICT, { silentSeconds: 30 }));
    const featuresHttp = await timed(5, () => get(`/api/map/meters?bbox=${bbox}`));
    return {
      bboxQueryMs: r(median(clustersHttp)),
      p99Ms: r(percentile(clustersHttp, 99)),
      clusters: clusters.features.length,
      index: { build: stats(cold), refresh: stats(refresh) },
      street: { ...stats(street), meters: streetMeters },
      allPoints: { query: stats(features), http: stats(featuresHttp), features: points.features.length },
    };
  } finally {
    await app.close();
  }
}

export const mapBenchmark: Benchmark = {
  name: 'map',
  description: 'the map query of a whole district (clusters of N meters by state) on PostgreSQL and PGlite',
  options: [
    { flags: '--meters <n>', description: 'connection points in the district', default: '100000' },
    { flags: '--store <store>', description: 'postgres | pglite | both', default: 'both' },
    {
      flags: '--database-url <url>',
      description: 'PostgreSQL server (a fresh database is created and dropped)',
    },
  ],
  async run(options, ctx) {
    const meters = Number(options.meters ?? 100_000);
    if (!Number.isInteger(meters) || meters < 1) throw new Error('--meters must be a positive integer');
    const store = String(options.store ?? 'both');
    if (!['postgres', 'pglite', 'both'].includes(store))
      throw new Error(`--store must be postgres, pglite or both`);
    const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    if (store !== 'pglite') {
      const fresh = await freshPostgres(
        String(options.databaseUrl ?? ctx.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
        'map',
      );
      const db = await openDatabase({ url: fresh.url });
      try {
        await seed(db, meters);
        results.postgres = await measure(db, meters);
      } finally {
        await db.close();
        await fresh.drop();
      }
    }
    if (store !== 'postgres') {
      const dataDir = mkdtempSync(join(os.tmpdir(), 'mg-bench-map-'));
      const db = await openDatabase({ dataDir });
      try {
        await seed(db, meters);
        results.pglite = await measure(db, meters);
      } finally {
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
    const first = results.postgres ?? results.pglite!;
    return {
      benchmark: 'map',
      meters,
      bboxQueryMs: first.bboxQueryMs,
      p99Ms: first.p99Ms,
      stores: results,
      runs: RUNS,
      machine: machineInfo(),
    };
  },
};
