import http from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../protocol/index.js';
import { createApiKey } from './platform/auth/index.js';
import { Gateway } from './gateway.js';
import { makeReading } from './metering/ingest/conformance.js';
import { startTestBroker } from './platform/bus/test-broker.js';

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('gateway HTTP API over a running Gateway (PGlite, aedes)', () => {
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let gw: Gateway;
  let pub: MqttClient;
  const topics = new TopicScheme('srvtest/v1');
  const keys: Record<string, string> = {};
  // Yesterday (UTC): the readings below run to 09:00 of this day, and readings from the future are
  // refused, so today's date failed this file between midnight and 09:00 UTC.
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const t0 = Date.parse(`${day}T00:00:00Z`);

  beforeAll(async () => {
    broker = await startTestBroker();
    gw = new Gateway({
      mqtt: { url: broker.url, prefix: topics.prefix, clientId: 'srvtest' },
      http: { port: 0 },
      auth: { rateLimit: false, ownsMeter: async (c, m) => c === 'c1' && m === 'mA' },
    });
    await gw.start();
    for (const role of ['admin', 'operator', 'customer'] as const) {
      keys[role] = (
        await createApiKey(gw.db!, { role, name: role, customerId: role === 'customer' ? 'c1' : undefined })
      ).key;
    }
    pub = await mqtt.connectAsync(broker.url);
    for (const [meter, n] of [
      ['mA', 3],
      ['mB', 2],
    ] as const) {
      for (let i = 0; i < n; i++) {
        await pub.publishAsync(topics.reading(meter), makeReading(meter, i, new Date(t0 + i * 3_600_000)), {
          qos: 1,
        });
      }
    }
    await until(async () => (await gw.store!.count()) === 5);
  });
  afterAll(async () => {
    await pub?.endAsync();
    await gw?.stop();
    await broker?.stop();
  });

  const get = (url: string, role?: string) =>
    gw.app!.inject({ method: 'GET', url, headers: role ? { 'x-api-key': keys[role]! } : {} });

  it('serves health and the OpenAPI document without credentials', async () => {
    const health = await get('/api/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({
      status: 'ok',
      checks: { database: { ok: true }, mqtt: { ok: true } },
    });
    const doc = await get('/docs/json');
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json().paths)).toEqual(
      expect.arrayContaining([
        '/api/meters',
        '/api/meters/{id}/readings',
        '/api/meters/{id}/consumption',
        '/api/live',
      ]),
    );
  });

  it('lists meters with their last reading; customers see only their own', async () => {
    expect((await get('/api/meters')).statusCode).toBe(401);
    const staff = await get('/api/meters', 'operator');
    expect(staff.statusCode).toBe(200);
    const list = staff.json() as Array<{
      id: string;
      lastReading: { ts: string; values: Record<string, number> } | null;
    }>;
    expect(list.map((m) => m.id)).toEqual(['mA', 'mB']);
    expect(list[0]!.lastReading).toMatchObject({
      ts: new Date(t0 + 2 * 3_600_000).toISOString(),
      values: { '1-0:1.8.0': 1000.5 },
    });
    const own = await get('/api/meters', 'customer');
    expect((own.json() as Array<{ id: string }>).map((m) => m.id)).toEqual(['mA']);
    expect((await get('/api/meters/mB/readings', 'customer')).statusCode).toBe(404);
  });

  it('returns raw and bucketed readings and daily consumption', async () => {
    const from = new Date(t0).toISOString();
    const to = new Date(t0 + 86_400_000).toISOString();
    const raw = await get(`/api/meters/mA/readings?from=${from}&to=${to}`, 'customer');
    expect(raw.statusCode).toBe(200);
    expect(raw.json().readings).toHaveLength(3);
    const daily = await get(`/api/meters/mA/readings?from=${from}&to=${to}&resolution=1d`, 'operator');
    expect(daily.json().readings).toEqual([
      expect.objectContaining({ count: 3, values: expect.objectContaining({ '1-0:1.8.0': 1000.5 }) }),
    ]);
    const cons = await get(`/api/meters/mA/consumption?period=day&from=${day}&to=${day}`, 'operator');
    expect(cons.json()).toEqual({
      meterId: 'mA',
      obis: '1-0:1.8.0',
      unit: 'kWh',
      period: 'day',
      series: [{ period: day, consumption: 0.5, quality: 'measured' }],
    });
    const month = await get(`/api/meters/mA/consumption?period=month&from=${day}&to=${day}`, 'operator');
    expect(month.json().series[0]).toMatchObject({ period: day.slice(0, 7), consumption: 0.5, days: 1 });
    const bad = await get('/api/meters/mA/readings?resolution=7m', 'operator');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('MG_ERR_HTTP_VALIDATION');
  });

  it('shows dead letters to admins only', async () => {
    await pub.publishAsync(topics.reading('mA'), 'garbage', { qos: 1 });
    await until(async () => gw.ingest!.snapshot().deadLettered === 1);
    await until(async () => (await gw.deadLetters!.count()) === 1);
    expect((await get('/api/ingest/dead-letters', 'operator')).statusCode).toBe(403);
    const res = await get('/api/ingest/dead-letters', 'admin');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      expect.objectContaining({
        topic: topics.reading('mA'),
        code: 'MG_ERR_PROTOCOL_JSON',
        payload: 'garbage',
        payloadBytes: 7,
      }),
    ]);
    const notRegister = await get('/api/meters/mA/consumption?obis=1-0:1.7.0', 'operator');
    expect(notRegister.statusCode).toBe(400);
  });

  it('streams new readings to a live (SSE) client filtered by meter', async () => {
    const received = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        `${gw.url}/api/live?meter=mB`,
        { headers: { 'x-api-key': keys.operator! } },
        (res) => {
          expect(res.headers['content-type']).toMatch(/text\/event-stream/);
          let buf = '';
          res.on('data', (chunk: Buffer) => {
            buf += chunk.toString();
            if (buf.includes('event: reading')) {
              req.destroy();
              resolve(buf);
            }
          });
          void pub.publishAsync(topics.reading('mA'), makeReading('mA', 9, new Date(t0 + 9 * 3_600_000)), {
            qos: 1,
          });
          void pub.publishAsync(topics.reading('mB'), makeReading('mB', 7, new Date(t0 + 7 * 3_600_000)), {
            qos: 1,
          });
        },
      );
      req.on('error', reject);
    });
    const data = JSON.parse(/data: (.*)\n/.exec(received)![1]!);
    expect(data).toMatchObject({ meterId: 'mB', seq: 7 });
  });
});
