import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkConnectionRequests } from '../../compose-domains.js';
import { AGENCY_MIGRATIONS, AgencyFeature } from '../../customers/agency/index.js';
import { MessageOutbox, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { fieldWorld, layOut, type FieldWorld } from '../testing/world.js';

// An agency connection request becomes an installation work order; the work order's progress moves
// the request (with the customer's SMS), both on the real routes of both domains, on PGlite.
const CUSTOMER = 'cust-9';
const MOBILE = '+212600000009';
const PLACE = { address: '12 rue Oued Ziz, Agdal', lat: 33.992, lon: -6.851 };
const AGDAL = '-6.9,33.9,-6.8,34.1';

let w: FieldWorld;
let db: SqlDatabase;
let agency: AgencyFeature;
let cookie = '';

beforeAll(async () => {
  w = await fieldWorld({
    outbox: (d) => new MessageOutbox({ db: d, channels: [] }),
    seed: async (d) => {
      await runMigrations(d, AGENCY_MIGRATIONS);
    },
    plugins: async (d, field) => {
      agency = await new AgencyFeature({
        db: d,
        send: (m) => new MessageOutbox({ db: d, channels: [] }).send(m),
        env: {},
      }).start();
      linkConnectionRequests(agency, field);
      return [agency.feature];
    },
  });
  db = w.db;
  await db.query(
    `INSERT INTO agency_users (id, username, customer_id, service, mobile, language, password_hash, must_change_password)
     VALUES ('u-9', 'salma.b', $1, 'electricity', $2, 'fr', 'unused', false)`,
    [CUSTOMER, MOBILE],
  );
  await agency.sessions.open(
    'u-9',
    { protocol: 'http', hostname: 'localhost' } as never,
    { header: (_name: string, value: string) => (cookie = value.split(';')[0]!) } as never,
  );
  await layOut(w.field, [{ meter: 'M-1', lat: 33.95, lon: -6.87, address: '3 avenue Fal Ould Oumeir' }]);
  await db.query(`UPDATE field_points SET customer_id = $1 WHERE meter_id = 'M-1'`, [CUSTOMER]);
});
afterAll(async () => {
  await w?.close();
});

/** The signed-in customer's agency. */
const asCustomer = (method: 'GET' | 'POST', url: string, payload?: object) =>
  w.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) });

async function fileConnection(details: Record<string, unknown>) {
  return asCustomer('POST', '/api/agency/requests', {
    category: 'connection',
    subject: 'Raccordement maison neuve',
    message: 'Nouvelle construction, compteur monophasé.',
    details,
  });
}

async function requestStatus(tn: string): Promise<string> {
  return (await w.call('GET', `/api/agency/queue/${tn}`)).json().status;
}

async function smsFor(tn: string): Promise<string[]> {
  const { rows } = await db.query<{ key: string }>(
    `SELECT dedupe_key AS key FROM notify_outbox WHERE to_address = $1 AND template = 'agency_case_update'
        AND dedupe_key LIKE $2 ORDER BY created_at`,
    [MOBILE, `case:${tn}:%`],
  );
  return rows.map((r) => r.key);
}

async function count(table: string): Promise<number> {
  return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
}

describe('connection requests and installation work orders', () => {
  it('refuses a connection request without an address or with a position out of range, storing nothing', async () => {
    const before = [await count('agency_cases'), await count('field_work_orders')];
    for (const [details, reason] of [
      [{ ...PLACE, lat: 91 }, '/details/lat'],
      [{ ...PLACE, lon: -180.5 }, '/details/lon'],
      [{ address: PLACE.address, lat: 33.9 }, '/details/lon'],
      [{ ...PLACE, lat: '33.9' }, '/details/lat'],
      [{ lat: 33.9, lon: -6.8 }, '/details/address'],
      [{ address: '   ' }, '/details/address'],
    ] as const) {
      const r = await fileConnection(details);
      expect(r.statusCode, JSON.stringify(details)).toBe(400);
      expect(r.json()).toMatchObject({ code: 'MG_ERR_AGENCY_BAD_INPUT' });
      expect(r.json().message).toContain(reason);
    }
    expect([await count('agency_cases'), await count('field_work_orders')]).toEqual(before);
  });

  it('opens an installation work order with no meter at the request’s place, and follows it both ways', async () => {
    const filed = await fileConnection(PLACE);
    expect(filed.statusCode).toBe(201);
    const tn = filed.json().trackingNumber as string;
    expect(tn).toMatch(/^DM-\d{4}-\d{6}$/);

    const list = (await w.call('GET', `/api/work-orders?trackingNumber=${tn}`)).json().workOrders;
    expect(list).toHaveLength(1);
    const wo = list[0];
    expect(wo).toMatchObject({
      kind: 'installation',
      status: 'open',
      meter: null,
      trackingNumber: tn,
      customerId: CUSTOMER,
      ...PLACE,
    });
    expect(await requestStatus(tn)).toBe('submitted');

    // Assigned: the request is in progress and the customer is told once; started: nothing more.
    const assigned = await w.call('POST', `/api/work-orders/${wo.id}/status`, {
      status: 'assigned',
      assignee: 'equipe-2',
    });
    expect(assigned.json()).toMatchObject({ status: 'assigned', assignee: 'equipe-2' });
    expect(await requestStatus(tn)).toBe('in-progress');
    await w.call('POST', `/api/work-orders/${wo.id}/status`, { status: 'in-progress' });
    expect(await requestStatus(tn)).toBe('in-progress');
    expect(await smsFor(tn)).toEqual([`case:${tn}:in-progress`]);

    // Without the meter it cannot complete; the installer's report completes it.
    const bare = await w.call('POST', `/api/work-orders/${wo.id}/status`, { status: 'completed' });
    expect(bare.statusCode).toBe(409);
    expect(bare.json().code).toBe('MG_ERR_FIELD_WORK_ORDER_TRANSITION');
    const badReports: [object, number, string?][] = [
      [{ newMeter: 'N-77', newInitialIndex: 2, oldFinalIndex: 5, at: '2026-03-02T10:00:00Z' }, 400],
      [{ newMeter: 'N-77', newInitialIndex: 2, at: '2026-03-02T10:00:00Z', lat: 33.9 }, 400],
      [{ newMeter: 'N-77', newInitialIndex: 2, at: '2026-03-02T10:00:00Z', lat: 91, lon: 0 }, 400],
      [{ newMeter: 'N-77', newInitialIndex: -1, at: '2026-03-02T10:00:00Z' }, 400],
      [
        { newMeter: 'M-1', newInitialIndex: 2, at: '2026-03-02T10:00:00Z' },
        409,
        'MG_ERR_FIELD_METER_INSTALLED_ELSEWHERE',
      ],
    ];
    for (const [body, status, code] of badReports) {
      const r = await w.call('POST', `/api/work-orders/${wo.id}/complete`, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(status);
      if (code) expect(r.json().code).toBe(code);
    }
    expect(await requestStatus(tn)).toBe('in-progress');

    const done = await w.call('POST', `/api/work-orders/${wo.id}/complete`, {
      newMeter: 'N-77',
      newInitialIndex: 2.5,
      at: '2026-03-02T10:00:00Z',
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({
      status: 'completed',
      meter: 'N-77',
      newMeter: 'N-77',
      details: { newInitialIndex: 2.5, at: '2026-03-02T10:00:00.000Z' },
    });
    expect(await requestStatus(tn)).toBe('resolved');
    expect(await smsFor(tn)).toEqual([`case:${tn}:in-progress`, `case:${tn}:resolved`]);
    // The new meter has its connection point where it was asked for, for the requesting customer.
    expect(await w.field.locations.get('N-77')).toMatchObject({
      meter: 'N-77',
      lat: PLACE.lat,
      lon: PLACE.lon,
      address: PLACE.address,
      customerId: CUSTOMER,
    });
    const onMap = (await w.call('GET', '/api/map/work-orders')).json().workOrders;
    expect(onMap.map((x: { id: string }) => x.id)).not.toContain(wo.id);
  });

  it('lets an operator reopen the installation of a request, once, and refuses an unknown request', async () => {
    const tn = (await fileConnection({ address: 'Douar Laghdir, Skhirat' })).json().trackingNumber as string;
    const [first] = (await w.call('GET', `/api/work-orders?trackingNumber=${tn}`)).json().workOrders;
    expect(first).toMatchObject({ address: 'Douar Laghdir, Skhirat', lat: null, lon: null });
    const again = await w.call('POST', '/api/work-orders', { kind: 'installation', trackingNumber: tn });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('MG_ERR_FIELD_REQUEST_HAS_WORK_ORDER');
    await w.call('POST', `/api/work-orders/${first.id}/status`, { status: 'cancelled' });
    expect(await requestStatus(tn)).toBe('submitted');

    // Reopened with the installer's position and an assignee: the request moves at once.
    const reopened = await w.call('POST', '/api/work-orders', {
      kind: 'installation',
      trackingNumber: tn,
      lat: 33.87,
      lon: -7.03,
      assignee: 'equipe-5',
    });
    expect(reopened.statusCode).toBe(201);
    expect(reopened.json()).toMatchObject({
      status: 'assigned',
      meter: null,
      trackingNumber: tn,
      address: 'Douar Laghdir, Skhirat',
      lat: 33.87,
      lon: -7.03,
    });
    expect(await requestStatus(tn)).toBe('in-progress');

    const before = await count('field_work_orders');
    const bad: [object, number, string?][] = [
      [{ kind: 'installation', trackingNumber: 'DM-2026-999999' }, 404, 'MG_ERR_FIELD_UNKNOWN_REQUEST'],
      [{ kind: 'installation', trackingNumber: 'RC-2026-000001' }, 400],
      [{ kind: 'inspection', trackingNumber: tn }, 400],
      [{ kind: 'installation' }, 400],
      [{ kind: 'inspection', meter: 'M-1', lat: 91, lon: 0 }, 400],
      [{ kind: 'inspection', meter: 'M-1', lat: 33.9 }, 400],
    ];
    for (const [body, status, code] of bad) {
      const r = await w.call('POST', '/api/work-orders', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(status);
      if (code) expect(r.json().code).toBe(code);
    }
    expect(await count('field_work_orders')).toBe(before);
  });

  it('leaves a request the operator closed where it is when its work order moves', async () => {
    const tn = (await fileConnection(PLACE)).json().trackingNumber as string;
    const [wo] = (await w.call('GET', `/api/work-orders?trackingNumber=${tn}`)).json().workOrders;
    expect((await w.call('POST', `/api/agency/queue/${tn}/status`, { status: 'rejected' })).statusCode).toBe(
      200,
    );
    const r = await w.call('POST', `/api/work-orders/${wo.id}/status`, { status: 'assigned', assignee: 'x' });
    expect(r.statusCode).toBe(200);
    expect(await requestStatus(tn)).toBe('rejected');
    expect(await smsFor(tn)).toEqual([`case:${tn}:rejected`]);
  });

  it('places a work order of an existing meter at the meter', async () => {
    const r = await w.call('POST', '/api/work-orders', { kind: 'inspection', meter: 'M-1' });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({
      meter: 'M-1',
      lat: 33.95,
      lon: -6.87,
      address: '3 avenue Fal Ould Oumeir',
      customerId: CUSTOMER,
      trackingNumber: null,
    });
    const onMap = (await w.call('GET', '/api/map/work-orders')).json().workOrders;
    expect(onMap).toContainEqual(expect.objectContaining({ id: r.json().id, lat: 33.95, lon: -6.87 }));
  });
});

describe('the map’s layer of agency cases', () => {
  it('shows open claims at the claimant’s meter and open connection requests at their place, inside the bbox', async () => {
    const claim = await agency.cases.file(
      CUSTOMER,
      { kind: 'claim', category: 'meter-fault', subject: 'Compteur bloqué', message: 'Il ne tourne plus.' },
      [],
    );
    const named = await agency.cases.file(
      CUSTOMER,
      { kind: 'claim', category: 'other', subject: 'Index', message: '…', meter: 'N-77' },
      [],
    );
    const closed = await agency.cases.file(
      CUSTOMER,
      { kind: 'claim', category: 'other', subject: 'Réglé', message: '…' },
      [],
    );
    await agency.cases.move(closed.trackingNumber, 'resolved', 'operator');
    const request = (await fileConnection({ address: 'Hay Riad', lat: 33.96, lon: -6.86 })).json()
      .trackingNumber as string;

    const r = await w.call('GET', `/api/map/cases?bbox=${AGDAL}`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('application/geo+json');
    const byId = new Map(
      (
        r.json().features as { geometry: { coordinates: number[] }; properties: Record<string, unknown> }[]
      ).map((f) => [f.properties.id, f]),
    );
    // No meter named: the claimant's connection point; a meter named: that meter's.
    expect(byId.get(claim.trackingNumber)).toMatchObject({
      geometry: { type: 'Point', coordinates: [-6.87, 33.95] },
      properties: { kind: 'claim', category: 'meter-fault', status: 'submitted', workOrder: null },
    });
    expect(byId.get(named.trackingNumber)?.geometry.coordinates).toEqual([PLACE.lon, PLACE.lat]);
    expect(byId.get(request)).toMatchObject({
      geometry: { coordinates: [-6.86, 33.96] },
      properties: { kind: 'connection', address: 'Hay Riad', workOrderStatus: 'open', meter: null },
    });
    expect(byId.get(request)!.properties.workOrder).toMatch(/^\d+$/);
    // Closed cases (resolved, rejected) and the request placed out of view are not drawn.
    expect(byId.has(closed.trackingNumber)).toBe(false);
    for (const [id, f] of byId) {
      expect(f.properties.status, id as string).not.toMatch(/resolved|rejected/);
      const [lon, lat] = f.geometry.coordinates as [number, number];
      expect(lon >= -6.9 && lon <= -6.8 && lat >= 33.9 && lat <= 34.1).toBe(true);
    }
    const skhirat = (await w.call('GET', '/api/map/cases?bbox=-7.1,33.8,-7,33.9')).json().features;
    expect(skhirat.map((f: { properties: { id: string } }) => f.properties.id)).not.toContain(request);
    // The map's work order layer has the installation at its place too.
    const wos = (await w.call('GET', '/api/map/work-orders')).json().workOrders;
    expect(wos).toContainEqual(expect.objectContaining({ trackingNumber: request, lat: 33.96, meter: null }));
  });

  it('answers an admin, refuses a bad bbox and anonymous callers', async () => {
    expect((await w.call('GET', `/api/map/cases?bbox=${AGDAL}`, undefined, w.keys.admin)).statusCode).toBe(
      200,
    );
    for (const bbox of ['-6.8,33.9,-6.9,34.1', '0,91,1,92', 'x', '1,2,3']) {
      const r = await w.call('GET', `/api/map/cases?bbox=${bbox}`);
      expect(r.statusCode, bbox).toBe(400);
    }
    expect((await w.app.inject({ method: 'GET', url: `/api/map/cases?bbox=${AGDAL}` })).statusCode).toBe(401);
  });
});
