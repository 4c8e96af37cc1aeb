import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fieldWorld, layOut, type FieldWorld } from '../testing/world.js';
import { clusterSnapshot, MapIndex } from './map-index.js';
import { colourOf, METER_STATES, type ConnectivityState, type MeterFlag } from './map-state.js';

// Eight meters of Agdal (Rabat) behind two transformers, one per state the test world can give.
const POINTS = Array.from({ length: 8 }, (_, i) => ({
  meter: `MP-${i + 1}`,
  lat: 33.99 + i * 0.0004,
  lon: -6.85 - i * 0.0004,
  address: `${i + 1} Avenue de France`,
  commune: 'Agdal',
  feeder: 'F-9',
  transformer: i < 4 ? 'T-91' : 'T-92',
  kind: i % 2 ? ('prepaid' as const) : ('postpaid' as const),
}));
const ALL = '-7,33,-6,35';
const SILENT_SECONDS = 30;

let w: FieldWorld;

async function lastReading(meter: string, ts: Date, firstSeen = ts) {
  await w.db.query(
    `INSERT INTO meter_last_reading (meter_id, ts, seq, "values", quality, source, first_seen)
     VALUES ($1, $2, 1, '{}', 'good', 'mqtt', $3)
     ON CONFLICT (meter_id) DO UPDATE SET ts = excluded.ts`,
    [meter, ts, firstSeen],
  );
}

/** Each meter's colour from GET /api/map/meters: its state and flags, the most urgent first. */
async function sqlStates(): Promise<Record<string, string>> {
  const fc = (await w.call('GET', `/api/map/meters?bbox=${ALL}`)).json() as {
    features: { properties: { id: string; state: ConnectivityState; flags: MeterFlag[] } }[];
  };
  return Object.fromEntries(
    fc.features.map((f) => [f.properties.id, colourOf(f.properties.state, f.properties.flags)]),
  );
}

function indexStates(snap: Awaited<ReturnType<MapIndex['refresh']>>): Record<string, string> {
  return Object.fromEntries(snap.ids.map((id, i) => [id, METER_STATES[snap.state[i]!]!]));
}

beforeAll(async () => {
  w = await fieldWorld();
  await layOut(w.field, POINTS);
  const now = Date.now();
  await lastReading('MP-1', new Date(now - 5_000));
  await lastReading('MP-2', new Date(now - 600_000)); // silent
  // MP-3 never reported: unread.
  for (const m of ['MP-4', 'MP-5', 'MP-6']) await lastReading(m, new Date(now - 600_000));
  await w.db.query(
    `INSERT INTO field_outages (status, started_at, transformer_id, meters, customers)
     VALUES ('open', now(), 'T-92', ARRAY['MP-5', 'MP-6'], '{}')`,
  );
  await lastReading('MP-7', new Date(now - 5_000));
  await w.db.query(
    `INSERT INTO notify_outbox (id, channel, to_address, template, language, text, data, status)
     VALUES ('n-1', 'sms', '+212600000007', 'low_credit', 'fr', 'Crédit faible', '{"meterId":"MP-7"}', 'outbox-only')`,
  );
  await lastReading('MP-8', new Date(now - 5_000));
});

afterAll(async () => {
  await w.close();
});

describe('the map’s states', () => {
  it('are the same from the SQL of GET /api/map/meters and from the in-memory index', async () => {
    const features = (await w.call('GET', `/api/map/meters?bbox=${ALL}`)).json().features as {
      properties: { id: string; state: string; flags: string[] };
    }[];
    // Whether it reports, and what else is known of it.
    expect(features.find((f) => f.properties.id === 'MP-7')!.properties).toMatchObject({
      state: 'reporting',
      flags: ['low-credit'],
    });
    expect(features.find((f) => f.properties.id === 'MP-5')!.properties).toMatchObject({
      state: 'outage',
      flags: [],
    });
    const sql = await sqlStates();
    expect(sql).toEqual({
      'MP-1': 'reporting',
      'MP-2': 'silent',
      'MP-3': 'unread',
      'MP-4': 'silent',
      'MP-5': 'outage',
      'MP-6': 'outage',
      'MP-7': 'low-credit',
      'MP-8': 'reporting',
    });
    const index = new MapIndex({ db: w.db, silentSeconds: SILENT_SECONDS });
    expect(indexStates(await index.refresh())).toEqual(sql);

    // A refresh sees a meter report for the first time and another fall silent.
    await lastReading('MP-3', new Date());
    await lastReading('MP-8', new Date(Date.now() - 600_000));
    const after = await sqlStates();
    expect(after['MP-3']).toBe('reporting');
    expect(after['MP-8']).toBe('silent');
    expect(indexStates(await index.refresh())).toEqual(after);

    // A moved point is read again (its position's version changed).
    await layOut(w.field, [{ ...POINTS[0]!, lat: 34.2, lon: -6.5 }]);
    const moved = await index.refresh();
    const i = moved.ids.indexOf('MP-1');
    expect([moved.lon[i], moved.lat[i]]).toEqual([-6.5, 34.2]);
  });

  it('counts every meter once in the clusters, by state and kind', async () => {
    const index = new MapIndex({ db: w.db, silentSeconds: SILENT_SECONDS });
    const snap = await index.refresh();
    const fc = clusterSnapshot(snap, [-7, 33, -6, 35], 3);
    const total = fc.features.reduce((n, f) => n + f.properties.count, 0);
    expect(total).toBe(8);
    const byState = Object.fromEntries(
      METER_STATES.map((s) => [s, fc.features.reduce((n, f) => n + f.properties[s], 0)]),
    );
    expect(byState).toMatchObject({ outage: 2, 'low-credit': 1, reporting: 2, silent: 3 });
    expect(fc.features.reduce((n, f) => n + f.properties.prepaid, 0)).toBe(4);
    // A bbox that holds nothing has no cluster; one on its edge still counts its meters.
    expect(clusterSnapshot(snap, [0, 0, 1, 1], 8).features).toEqual([]);
    const edge = clusterSnapshot(snap, [-6.8513, 33.99, -6.85, 33.9913], 4);
    expect(edge.features.reduce((n, f) => n + f.properties.count, 0)).toBe(3);
  });

  it('serves the clusters, the page settings, search, work orders and the offline basemap', async () => {
    const clusters = (await w.call('GET', `/api/map/clusters?bbox=${ALL}&cells=2`)).json();
    expect(
      clusters.features.reduce(
        (n: number, f: { properties: { count: number } }) => n + f.properties.count,
        0,
      ),
    ).toBe(8);
    expect(typeof clusters.generatedAt).toBe('string');

    const config = (await w.call('GET', '/api/map/config')).json();
    expect(config).toMatchObject({ meters: 8, states: [...METER_STATES] });
    expect(config.bounds).toHaveLength(4);

    const byAddress = (await w.call('GET', `/api/map/search?q=${encodeURIComponent('3 avenue')}`)).json();
    expect(byAddress.results.map((r: { id: string }) => r.id)).toEqual(['MP-3']);
    const byId = (await w.call('GET', '/api/map/search?q=mp-2')).json();
    expect(byId.results[0]).toMatchObject({ id: 'MP-2', commune: 'Agdal' });
    // `%` and `_` are literal: no wildcard search through the query string.
    expect((await w.call('GET', '/api/map/search?q=%25')).json().results).toEqual([]);
    expect((await w.call('GET', '/api/map/search?q=')).statusCode).toBe(400);

    expect((await w.call('GET', '/api/map/work-orders')).json()).toEqual({ workOrders: [] });

    const basemap = await w.call('GET', '/api/map/basemap');
    expect(basemap.statusCode).toBe(200);
    const topo = basemap.json();
    expect(topo.type).toBe('Topology');
    expect(Object.keys(topo.objects)).toContain('countries');
  });
});
