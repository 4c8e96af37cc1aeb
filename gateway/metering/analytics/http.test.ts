import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin, createApiKey } from '../../platform/index.js';
import { PgliteDatabase, runMigrations, type SqlDatabase } from '../../platform/index.js';
import { EstimationService, estimationPlugin } from '../estimation/index.js';
import { Notifier, notifyPlugin } from '../../platform/index.js';
import { ROLLUP_MIGRATIONS, SqlRollupStore, type DailyRow } from '../rollups/index.js';
import { SelfReadingService, selfReadingsPlugin } from '../self-readings/index.js';
import { SqlAnomalyStore } from './anomaly-store.js';
import { ConsumptionComparison } from './comparison.js';
import { SqlDailyBatchSource } from './daily-batches.js';
import { ANALYTICS_MIGRATIONS } from './migrations.js';
import { analyticsPlugin } from './routes.js';
import { AnomalyScanner } from './scanner.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-21T09:00:00Z');
let db: SqlDatabase;
let app: FastifyInstance;
const keys = { operator: '', customer: '' };
let lastIndex = 0;

function history(meterId: string, perDay: (day: string) => number): DailyRow[] {
  const rows: DailyRow[] = [];
  let index = 500;
  for (let d = Date.UTC(2024, 10, 1) / DAY; d <= Date.UTC(2026, 10, 20) / DAY; d++) {
    const day = new Date(d * DAY).toISOString().slice(0, 10);
    const c = perDay(day);
    rows.push({
      meterId,
      obis: '1-0:1.8.0',
      day,
      consumption: c,
      quality: 'measured',
      firstValue: index,
      lastValue: index + c,
    });
    index += c;
  }
  lastIndex = index;
  return rows;
}

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  await runMigrations(db, [...ROLLUP_MIGRATIONS, ...ANALYTICS_MIGRATIONS]);
  const rollups = new SqlRollupStore({ db });
  await rollups.upsertDaily(history('M-OTHER', () => 9));
  await rollups.upsertDaily(history('M-OWN', (d) => (d >= '2026-11-14' ? 30 : 10)));
  const anomalies = new SqlAnomalyStore({ db });
  await new AnomalyScanner({ source: new SqlDailyBatchSource({ db }), store: anomalies }).scan({
    asOf: '2026-11-20',
    obis: '1-0:1.8.0',
  });
  const estimation = new EstimationService({ db, rollups });
  await estimation.start();
  const selfReadings = new SelfReadingService({ db, rollups, estimation, now: () => NOW });
  await selfReadings.start();
  const notifier = new Notifier({ db, channels: [] });
  await notifier.start();
  app = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  await app.register(authPlugin, {
    db,
    rateLimit: false,
    ownsMeter: async (customerId, meterId) => customerId === 'C1' && meterId === 'M-OWN',
  });
  await app.register(analyticsPlugin, {
    anomalies,
    comparison: new ConsumptionComparison({ db }),
    now: () => NOW,
  });
  await app.register(estimationPlugin, { service: estimation });
  await app.register(selfReadingsPlugin, { service: selfReadings });
  await app.register(notifyPlugin, { notifier });
  await app.ready();
  keys.operator = (await createApiKey(db, { role: 'operator', label: 'ops' })).key;
  keys.customer = (await createApiKey(db, { role: 'customer', customerId: 'C1', label: 'c1' })).key;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.close();
});

const call = (
  method: 'GET' | 'POST' | 'PATCH' | 'PUT',
  url: string,
  key?: string,
  payload?: object,
  headers: Record<string, string> = {},
) =>
  app.inject({
    method,
    url,
    headers: { ...(key ? { 'x-api-key': key } : {}), ...headers },
    ...(payload ? { payload } : {}),
  });

describe('analytics HTTP API', () => {
  it('lists anomalies with evidence for operators only, and moves them through their lifecycle', async () => {
    expect((await call('GET', '/api/anomalies')).statusCode).toBe(401);
    expect((await call('GET', '/api/anomalies', keys.customer)).statusCode).toBe(403);
    const list = await call('GET', '/api/anomalies?status=open&kind=high_consumption', keys.operator);
    expect(list.statusCode).toBe(200);
    const [a] = list.json() as { id: number; meterId: string; evidence: { windows: { basis: string }[] } }[];
    expect(a).toMatchObject({ meterId: 'M-OWN', evidence: { comparedWith: 'prior_year' } });
    const ack = await call('PATCH', `/api/anomalies/${a!.id}`, keys.operator, {
      status: 'acknowledged',
      note: 'call customer',
    });
    expect(ack.json()).toMatchObject({ status: 'acknowledged', note: 'call customer' });
    const again = await call('PATCH', `/api/anomalies/${a!.id}`, keys.operator, { status: 'acknowledged' });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('MG_ERR_ANALYTICS_BAD_TRANSITION');
    expect(
      (await call('PATCH', `/api/anomalies/${a!.id}`, keys.operator, { status: 'open' })).statusCode,
    ).toBe(400);
    expect(
      (await call('PATCH', '/api/anomalies/99999', keys.operator, { status: 'resolved' })).json().code,
    ).toBe('MG_ERR_ANALYTICS_NOT_FOUND');
    expect(
      (await call('PATCH', `/api/anomalies/${a!.id}`, keys.operator, { status: 'resolved' })).json().status,
    ).toBe('resolved');
    expect((await call('GET', '/api/meters/M-OWN/anomalies', keys.customer)).json()).toHaveLength(1);
  });

  it('compares this week with the same weekdays last year, for the meter owner', async () => {
    const r = await call('GET', '/api/meters/M-OWN/comparison?asOf=2026-11-20', keys.customer);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      window: 'rolling',
      basis: 'prior_year',
      current: { from: '2026-11-14', to: '2026-11-20', total: 210 },
      reference: { from: '2025-11-15', to: '2025-11-21', total: 70 },
      ratio: 3,
      difference: 140,
      abnormal: true,
    });
    const month = await call(
      'GET',
      '/api/meters/M-OWN/comparison?asOf=2026-11-20&window=billing_month',
      keys.operator,
    );
    expect(month.json()).toMatchObject({
      window: 'billing_month',
      current: { from: '2026-11-01', total: 340 },
    });
    expect(
      (await call('GET', '/api/meters/M-OTHER/comparison?asOf=2026-11-20', keys.customer)).statusCode,
    ).toBe(404);
    expect(
      (await call('GET', '/api/meters/NONE/comparison?asOf=2026-11-20', keys.operator)).json().code,
    ).toBe('MG_ERR_ANALYTICS_NO_DATA');
    expect((await call('GET', '/api/meters/M-OWN/comparison?asOf=20261120', keys.operator)).statusCode).toBe(
      400,
    );
  });

  it('takes self-readings with reasons in French or English, and estimates for operators', async () => {
    const low = await call('POST', '/api/meters/M-OWN/self-readings', keys.customer, { index: 12 });
    expect(low.statusCode).toBe(422);
    expect(low.json()).toMatchObject({
      statusCode: 422,
      code: 'MG_ERR_SELF_READING_BELOW_PREVIOUS',
      message: expect.stringMatching(/^L’index 12 est inférieur/),
    });
    const en = await call(
      'POST',
      '/api/meters/M-OWN/self-readings',
      keys.customer,
      { index: 12 },
      { 'accept-language': 'en-GB,en;q=0.8' },
    );
    expect(en.json().message).toMatch(/^Index 12 is below the last known index/);
    const ok = await call('POST', '/api/meters/M-OWN/self-readings', keys.customer, {
      index: lastIndex + 15,
      readAt: '2026-11-21T08:00:00Z',
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().reading).toMatchObject({ status: 'accepted', index: lastIndex + 15 });
    expect(
      (await call('POST', '/api/meters/M-OTHER/self-readings', keys.customer, { index: 1 })).statusCode,
    ).toBe(404);
    expect(
      (await call('POST', '/api/meters/M-OWN/self-readings', keys.customer, { index: 'abc' })).statusCode,
    ).toBe(400);
    expect((await call('GET', '/api/meters/M-OWN/self-readings', keys.customer)).json()).toHaveLength(3);

    expect(
      (
        await call('POST', '/api/meters/M-OWN/estimates', keys.customer, {
          from: '2026-12-01',
          to: '2026-12-31',
        })
      ).statusCode,
    ).toBe(403);
    const est = await call('POST', '/api/meters/M-OTHER/estimates', keys.operator, {
      from: '2026-11-22',
      to: '2026-11-30',
    });
    expect(est.statusCode).toBe(201);
    expect(est.json()).toMatchObject({
      basis: 'same_period_prior_years',
      estimated: 81,
      status: 'estimated',
    });
    const read = await call('POST', '/api/meters/M-OTHER/estimates', keys.operator, {
      from: '2026-10-01',
      to: '2026-10-31',
    });
    expect(read.json().code).toBe('MG_ERR_ESTIMATION_NOT_NEEDED');
    expect((await call('GET', '/api/meters/M-OTHER/estimates', keys.operator)).json()).toHaveLength(1);
    expect((await call('GET', '/api/meters/M-OTHER/regularisations', keys.customer)).statusCode).toBe(404);
  });

  it('keeps notification preferences per customer, the webhook secret write-only', async () => {
    const put = await call('PUT', '/api/customers/C1/notification-preferences', keys.customer, {
      language: 'en',
      channels: ['webhook', 'email'],
      webhookUrl: 'https://example.test/hook',
      webhookSecret: 'a-long-enough-secret',
      emailTo: 'c1@example.test',
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ language: 'en', webhookSecretSet: true });
    expect(
      JSON.stringify((await call('GET', '/api/customers/C1/notification-preferences', keys.customer)).json()),
    ).not.toContain('a-long-enough-secret');
    expect((await call('GET', '/api/customers/C2/notification-preferences', keys.customer)).statusCode).toBe(
      404,
    );
    // Nothing saved for C2: the defaults that apply (nothing is sent), not an error.
    expect(
      (await call('GET', '/api/customers/C2/notification-preferences', keys.operator)).json(),
    ).toMatchObject({
      customerId: 'C2',
      language: 'fr',
      channels: [],
      webhookSecretSet: false,
      saved: false,
    });
    expect(
      (await call('GET', '/api/customers/C1/notification-preferences', keys.customer)).json().saved,
    ).toBe(true);
    const bad = await call('PUT', '/api/customers/C1/notification-preferences', keys.customer, {
      language: 'fr',
      channels: ['sms'],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ statusCode: 400, code: 'MG_ERR_NOTIFY_BAD_REQUEST' });
    expect(bad.json().details.reason).toMatch(/smsTo/);
  });
});
