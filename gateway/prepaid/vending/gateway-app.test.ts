import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme, type TokenCommand } from '../../../protocol/index.js';
import { MeterDecoder } from '../../../token-engine/index.js';
import { createApiKey } from '../../platform/index.js';
import { Gateway } from '../../gateway.js';
import { startTestBroker } from '../../platform/bus/test-broker.js';
import { createVendingFeature } from './feature.js';
import { TEST_MASTER_KEY, testMeterKey, testPan } from './test-fixtures/world.js';

// The whole gateway as the lead wires it (Gateway + features), with vending mounted: register a
// customer and a connected meter over HTTP, vend over HTTP, the token reaches the meter over MQTT.
let broker: Awaited<ReturnType<typeof startTestBroker>>;
let gw: Gateway;
let meterClient: mqtt.MqttClient;
const topics = new TopicScheme();

beforeAll(async () => {
  broker = await startTestBroker();
  gw = new Gateway({
    mqtt: { url: broker.url, prefix: topics.prefix, clientId: 'vending-gw-test' },
    http: { port: 0, host: '127.0.0.1' },
    auth: { rateLimit: false },
    plugins: async (g) => [
      (await createVendingFeature({ db: g.db!, bus: g.bus!, env: { METERGATE_MASTER_KEY: TEST_MASTER_KEY } }))
        .feature,
    ],
  });
  await gw.start();
}, 60_000);

afterAll(async () => {
  await meterClient?.endAsync();
  await gw?.stop();
  await broker?.stop();
});

describe('vending mounted in the Gateway', () => {
  it('registers, vends over HTTP and delivers the token to the connected meter over MQTT', async () => {
    const admin = (await createApiKey(gw.db!, { role: 'admin' })).key;
    const vendor = (await createApiKey(gw.db!, { role: 'vendor', vendorId: 'V1' })).key;
    const call = async (method: string, path: string, key: string, body: unknown) => {
      const res = await fetch(`${gw.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(
      (await call('POST', '/api/customers', admin, { id: 'G1', name: 'Gateway customer', social: false }))
        .status,
    ).toBe(201);
    const key = testMeterKey(testPan(4242));
    const meter = await call('POST', '/api/meters', admin, {
      id: 'GM1',
      customerId: 'G1',
      tariffId: 'example-electricity-ma',
      pan: key.pan,
      sgc: key.sgc,
      ti: 1,
      krn: 1,
      kt: 2,
      ken: 255,
      ea: '11',
      dkga: '04',
      baseDate: 2014,
      vendingKey: key.vendingKey,
      connected: true,
    });
    expect(meter.status).toBe(201);
    expect(JSON.stringify(meter.body)).not.toContain(key.vendingKey);

    meterClient = await mqtt.connectAsync(broker.url, { clientId: 'meter-GM1' });
    await meterClient.subscribeAsync(topics.command('GM1', 'token'), { qos: 1 });
    const got = new Promise<TokenCommand>((resolve) =>
      meterClient.once('message', (_t, p) => resolve(JSON.parse(String(p)))),
    );

    const vend = await call('POST', '/api/vend', vendor, { meterId: 'GM1', amount: 50, requestId: 'gw-1' });
    expect(vend.status).toBe(200);
    const cmd = await got;
    expect(cmd).toMatchObject({ v: 1, meter: 'GM1', token: vend.body.token });
    expect(new MeterDecoder({ meterKey: key }).enter(cmd.token, new Date())).toMatchObject({
      ok: true,
      kind: 'credit',
    });
    const denied = await call('POST', '/api/vend', 'mgk_0000000000000000_' + 'A'.repeat(43), {
      meterId: 'GM1',
      amount: 50,
      requestId: 'gw-2',
    });
    expect(denied.status).toBe(401);
  });
});
