import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAccount, migrateBilling } from '../billing/testing/world.js';
import { READINGS_MIGRATIONS } from '../metering/index.js';
import {
  authPlugin,
  createApiKey,
  MessageOutbox,
  NOTIFY_MIGRATIONS,
  PgliteDatabase,
  runMigrations,
  type SqlDatabase,
} from '../platform/index.js';
import { FieldFeature } from './field-feature.js';

let db: SqlDatabase;
let app: FastifyInstance;
let field: FieldFeature;
let outbox: MessageOutbox;
const keys = { admin: '', operator: '' };
const cuts: { meters: readonly string[]; seconds: number }[] = [];

// Rabat, Hay Riad: two transformers on one feeder, four meters behind T-1, two behind T-2.
const CSV = `meter,lat,lon,address,commune,province,region,feeder,transformer,kind
M-1,33.9591,-6.8700,"12, Avenue Annakhil",Hay Riad,Rabat,Rabat-Salé-Kénitra,F-1,T-1,
M-2,33.9593,-6.8702,14 Avenue Annakhil,Hay Riad,Rabat,Rabat-Salé-Kénitra,F-1,T-1,
M-3,33.9595,-6.8704,16 Avenue Annakhil,Hay Riad,Rabat,Rabat-Salé-Kénitra,F-1,T-1,
M-4,33.9597,-6.8706,18 Avenue Annakhil,Hay Riad,Rabat,Rabat-Salé-Kénitra,F-1,T-1,prepaid
M-5,33.9620,-6.8750,3 Rue Oum Rabia,Hay Riad,Rabat,Rabat-Salé-Kénitra,F-1,T-2,
M-6,33.9622,-6.8752,5 Rue Oum Rabia,Hay Riad,Rabat,Rabat-Salé-Kénitra,F-1,T-2,
`;

const T0 = new Date('2026-03-10T08:00:00Z');

async function lastReading(meter: string, ts: Date) {
  await db.query(
    `INSERT INTO meter_last_reading (meter_id, ts, seq, "values", quality, source) VALUES ($1, $2, 1, '{}', 'good', 'mqtt')
     ON CONFLICT (meter_id) DO UPDATE SET ts = excluded.ts`,
    [meter, ts],
  );
}

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await runMigrations(db, [...READINGS_MIGRATIONS, ...NOTIFY_MIGRATIONS]);
  await migrateBilling(db);
  for (let n = 1; n <= 6; n++) await addAccount(db, n, { email: `c${n}@example.ma` });
  outbox = new MessageOutbox({ db, channels: [] });
  field = await new FieldFeature({ db, outbox, detect: false }).start();
  app = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  await app.register(authPlugin, { db, rateLimit: false });
  for (const p of field.plugins) await app.register(p.plugin, p.options);
  await app.ready();
  keys.admin = (await createApiKey(db, { role: 'admin' })).key;
  keys.operator = (await createApiKey(db, { role: 'operator' })).key;
});
afterAll(async () => {
  await app.close();
  await field.stop();
  await db.close();
});

const call = (
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: unknown,
  type?: string,
  key = keys.operator,
) =>
  app.inject({
    method,
    url,
    headers: { 'x-api-key': key, ...(type ? { 'content-type': type } : {}) },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

describe('locations import', () => {
  it('reports every bad line with its number and imports nothing', async () => {
    const bad = `meter,lat,lon,transformer
M-1,33.95,-6.87,T-1
M-2,95.0,-6.87,T-1
M-404,33.95,-6.87,T-1
M-1,33.96,-6.88,T-1
M-3,abc,-6.87,T-1
`;
    const r = await call('POST', '/api/locations/import', bad, 'text/csv');
    expect(r.statusCode).toBe(422);
    const body = r.json();
    expect(body.code).toBe('MG_ERR_FIELD_IMPORT_INVALID');
    expect(body.errors.map((e: { line: number }) => e.line)).toEqual([3, 5, 6]);
    expect(body.errors[0].reason).toMatch(/coordinates out of range/);
    expect(body.errors[1].reason).toMatch(/duplicate point/);
    // The unknown meter is reported once the syntax is clean.
    const unknown = await call(
      'POST',
      '/api/locations/import',
      'meter,lat,lon\nM-1,33.9,-6.8\nM-404,33.9,-6.8\n',
      'text/csv',
    );
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors).toEqual([{ line: 3, reason: 'unknown meter M-404' }]);
    expect((await db.query('SELECT 1 FROM field_points')).rows).toHaveLength(0);
  });

  it('imports CSV and GeoJSON, and sets one point', async () => {
    const r = await call('POST', '/api/locations/import', CSV, 'text/csv');
    expect(r.json()).toEqual({ imported: 6 });
    const geo = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [-6.8701, 33.9592] },
          properties: { meter: 'M-2', transformer: 'T-1', feeder: 'F-1', commune: 'Hay Riad' },
        },
      ],
    };
    expect((await call('POST', '/api/locations/import', geo, 'application/geo+json')).json()).toEqual({
      imported: 1,
    });
    const badGeo = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [200, 10] },
          properties: { meter: 'M-2' },
        },
      ],
    };
    const refused = await call('POST', '/api/locations/import', badGeo, 'application/geo+json');
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual([{ line: 1, reason: expect.stringMatching(/out of range/) }]);
    const one = await call(
      'PUT',
      '/api/locations/M-6',
      { lat: 33.9623, lon: -6.8753, transformer: 'T-2', commune: 'Hay Riad' },
      'application/json',
    );
    expect(one.json()).toMatchObject({
      meter: 'M-6',
      lat: 33.9623,
      transformer: 'T-2',
      feeder: 'F-1',
      kind: 'postpaid',
      customerId: 'cust-6',
    });
    expect(
      (await call('PUT', '/api/locations/M-6', { lat: 91, lon: 0 }, 'application/json')).json().code,
    ).toBe('MG_ERR_FIELD_BAD_COORDINATES');
    expect(
      (await call('PUT', '/api/locations/NOPE', { lat: 1, lon: 0 }, 'application/json')).statusCode,
    ).toBe(404);
  });
});

describe('map', () => {
  it('answers a bbox with GeoJSON Point features', async () => {
    await lastReading('M-5', new Date(Date.now() - 5_000));
    const r = await call('GET', '/api/map/meters?bbox=-6.8705,33.959,-6.87,33.9596');
    expect(r.statusCode).toBe(200);
    const fc = r.json();
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features.map((f: { properties: { id: string } }) => f.properties.id).sort()).toEqual([
      'M-1',
      'M-2',
      'M-3',
    ]);
    expect(fc.features[0]).toMatchObject({
      type: 'Feature',
      geometry: { type: 'Point' },
      properties: { kind: 'postpaid', state: 'unread', transformer: 'T-1' },
    });
    const all = (await call('GET', '/api/map/meters?bbox=-7,33,-6,34')).json().features;
    expect(all.find((f: { properties: { id: string } }) => f.properties.id === 'M-5').properties.state).toBe(
      'reporting',
    );
    for (const bbox of ['1,2,3', '-6,33,-7,34', '0,95,1,96', 'a,b,c,d']) {
      expect((await call('GET', `/api/map/meters?bbox=${bbox}`)).json().code).toBe('MG_ERR_FIELD_BAD_BBOX');
    }
    const clusters = (await call('GET', '/api/map/clusters?bbox=-7,33,-6,34&cells=4')).json();
    expect(clusters.type).toBe('FeatureCollection');
    const counted = clusters.features.reduce(
      (n: number, f: { properties: { count: number } }) => n + f.properties.count,
      0,
    );
    expect(counted).toBe(6);
    expect(clusters.features[0]).toMatchObject({
      geometry: { type: 'Point' },
      properties: { cluster: true },
    });
    const states = clusters.features.reduce(
      (acc: Record<string, number>, f: { properties: Record<string, number> }) => {
        for (const k of ['reporting', 'unread', 'prepaid']) acc[k] = (acc[k] ?? 0) + f.properties[k]!;
        return acc;
      },
      {},
    );
    expect(states).toEqual({ reporting: 1, unread: 5, prepaid: 1 });
    const t = (await call('GET', '/api/map/transformers')).json().transformers;
    expect(t.map((x: { id: string; meters: number }) => [x.id, x.meters])).toEqual([
      ['T-1', 4],
      ['T-2', 2],
    ]);
  });
});

describe('outages and reliability', () => {
  it('opens one outage when a transformer’s meters fall silent together, notifies, closes on restore', async () => {
    for (const m of ['M-1', 'M-2', 'M-3', 'M-4', 'M-5', 'M-6']) await lastReading(m, T0);
    let now = new Date(T0.getTime() + 20_000);
    const clocked = new FieldFeature({ db, outbox, detect: false });
    Object.assign(clocked.detector, {
      o: { ...(clocked.detector as unknown as { o: object }).o, now: () => now },
    });
    // Not yet silent for long enough.
    expect((await clocked.detector.check()).opened).toHaveLength(0);
    // T-2 keeps reporting; three of T-1's four meters are silent: one outage, not three alerts.
    now = new Date(T0.getTime() + 30 * 60_000);
    await lastReading('M-5', new Date(now.getTime() - 5_000));
    await lastReading('M-6', new Date(now.getTime() - 5_000));
    await lastReading('M-4', new Date(now.getTime() - 5_000));
    const first = await clocked.detector.check();
    expect(first.opened).toMatchObject([{ transformer: 'T-1', meters: ['M-1', 'M-2', 'M-3'] }]);
    // The fourth falls silent too (its last reading was T0 + 30 min): it joins the same incident.
    now = new Date(T0.getTime() + 31 * 60_000);
    await lastReading('M-5', new Date(now.getTime() - 5_000));
    await lastReading('M-6', new Date(now.getTime() - 5_000));
    expect((await clocked.detector.check()).opened).toHaveLength(0);
    const opened = await field.outages.list({ status: 'open' });
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      status: 'open',
      transformer: 'T-1',
      feeder: 'F-1',
      startedAt: new Date(T0.getTime()).toISOString(),
      meters: ['M-1', 'M-2', 'M-3', 'M-4'],
    });
    expect(opened[0]!.customers.sort()).toEqual(['cust-1', 'cust-2', 'cust-3', 'cust-4']);
    expect((await clocked.detector.check()).opened).toHaveLength(0);
    // M-6 falls silent too while T-1 is out: T-2 (2 meters, 1 silent) stays a communication fault.
    now = new Date(now.getTime() + 60_000);
    await lastReading('M-5', new Date(now.getTime() - 5_000));
    expect((await clocked.detector.check()).opened).toHaveLength(0);
    const list = (await call('GET', '/api/outages?status=open')).json().outages;
    expect(list).toHaveLength(1);
    // A customer's outage claim filed during the incident is linked to it.
    await db.exec(`CREATE TABLE agency_cases (tracking_number text, kind text, category text, customer_id text,
      meter text, created_at timestamptz)`);
    await db.query(
      `INSERT INTO agency_cases VALUES ('R-1', 'claim', 'outage', 'cust-2', 'M-2', $1),
      ('R-2', 'claim', 'billing', 'cust-2', 'M-2', $1), ('R-3', 'claim', 'outage', 'cust-5', 'M-5', $1)`,
      [new Date(T0.getTime() + 10 * 60_000)],
    );
    expect((await call('GET', `/api/outages/${list[0].id}`)).json()).toMatchObject({
      id: list[0].id,
      claims: ['R-1'],
    });
    expect((await call('GET', '/api/outages/999')).statusCode).toBe(404);
    // Restored at T0 + 1 h: readings resume.
    const back = new Date(T0.getTime() + 60 * 60_000);
    for (const m of ['M-1', 'M-2', 'M-3', 'M-4']) await lastReading(m, back);
    now = new Date(back.getTime() + 10_000);
    const { closed } = await clocked.detector.check();
    expect(closed).toMatchObject([{ status: 'closed', endedAt: back.toISOString() }]);
    expect((await call('GET', '/api/outages?status=closed')).json().outages).toHaveLength(1);
    expect((await call('GET', '/api/outages?status=open')).json().outages).toHaveLength(0);
  });

  it('computes SAIDI / SAIFI / CAIDI from the incidents (IEEE 1366)', async () => {
    const month = await call('GET', '/api/reliability?from=2026-03-01&to=2026-04-01');
    // 4 customers of 6 out for 60 minutes: SAIDI 240/6 = 40 min, SAIFI 4/6, CAIDI 60 min.
    expect(month.json()).toMatchObject({
      saidiMinutes: 40,
      saifi: 0.6667,
      caidiMinutes: 60,
      customersServed: 6,
      interruptions: 1,
    });
    const t2 = (
      await call('GET', '/api/reliability?from=2026-03-01&to=2026-04-01&area=transformer:T-2')
    ).json();
    expect(t2).toMatchObject({ saidiMinutes: 0, saifi: 0, customersServed: 2, interruptions: 0 });
    expect(
      (await call('GET', '/api/reliability?from=2026-03-01&to=2026-04-01&area=feeder:F-1')).json()
        .customersServed,
    ).toBe(6);
    expect((await call('GET', '/api/reliability?from=2026-04-01&to=2026-03-01')).statusCode).toBe(400);
    const monthly = (await call('GET', '/api/reliability/monthly?from=2026-02&to=2026-04')).json().months;
    expect(monthly.map((m: { month: string; interruptions: number }) => [m.month, m.interruptions])).toEqual([
      ['2026-02', 0],
      ['2026-03', 1],
      ['2026-04', 0],
    ]);
    expect(monthly[1]).toMatchObject({ saidiMinutes: 40, customersServed: 6 });
    const csv = await call('GET', '/api/reliability/monthly?from=2026-03&to=2026-03&format=csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.body.replace('\uFEFF', '').split('\n')[1]).toBe('2026-03,40,0.6667,60,6,1,0,0');
    expect((await call('GET', '/api/reliability/monthly?from=2026-03&to=2029-12')).statusCode).toBe(400);
  });

  it('sent one notice at the start and one at restoration to each customer who chose them', async () => {
    const messages = await db.query<{ template: string; to_address: string }>(
      `SELECT template, to_address FROM notify_outbox WHERE template LIKE 'outage%' ORDER BY template, to_address`,
    );
    const started = messages.rows.filter((m) => m.template === 'outage_started');
    const restored = messages.rows.filter((m) => m.template === 'outage_restored');
    // Each customer has a mobile and an e-mail address with both channels on: one SMS and one e-mail per phase.
    expect(started).toHaveLength(8);
    expect(restored).toHaveLength(8);
    expect(started.filter((m) => m.to_address === 'c1@example.ma')).toHaveLength(1);
    expect(started.some((m) => m.to_address === 'c5@example.ma')).toBe(false);
  });

  it('injects a power cut only where a simulated fleet runs, on a known transformer, as admin', async () => {
    const body = { kind: 'outage', transformer: 'T-1', seconds: 120 };
    expect((await call('POST', '/api/simulator/faults', body, 'application/json')).statusCode).toBe(403);
    expect(
      (await call('POST', '/api/simulator/faults', body, 'application/json', keys.admin)).json().code,
    ).toBe('MG_ERR_FIELD_NO_SIMULATOR');
    field.useSimulator((meters, seconds) => {
      cuts.push({ meters, seconds });
      return meters.length;
    });
    const unknown = await call(
      'POST',
      '/api/simulator/faults',
      { ...body, transformer: 'T-99' },
      'application/json',
      keys.admin,
    );
    expect(unknown.json().code).toBe('MG_ERR_FIELD_UNKNOWN_TRANSFORMER');
    const ok = await call('POST', '/api/simulator/faults', body, 'application/json', keys.admin);
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ kind: 'outage', transformer: 'T-1', meters: 4, seconds: 120 });
    expect(cuts).toEqual([{ meters: ['M-1', 'M-2', 'M-3', 'M-4'], seconds: 120 }]);
  });
});
