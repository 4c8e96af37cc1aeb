import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme, type MeterEvent, type TokenCommand } from '../../../protocol/index.js';
import { MeterDecoder } from '../../../token-engine/index.js';
import type { Principal } from '../../platform/index.js';
import { MqttBus } from '../../platform/index.js';
import { PgliteDatabase, type SqlDatabase } from '../../platform/index.js';
import { TokenDelivery } from './delivery.js';
import { buildWorld, type World } from './test-fixtures/world.js';

const vendor: Principal = { id: 'key:v', role: 'vendor', vendorId: 'V1' };
const topics = new TopicScheme();

let db: SqlDatabase;
let world: World;
let bus: MqttBus;
let meterClient: mqtt.MqttClient;
let stopBroker: () => Promise<void>;
const received: TokenCommand[] = [];

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  // A real MQTT broker (aedes on a loopback port), the gateway's MqttBus, and a meter-side mqtt.js client.
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  stopBroker = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => broker.close(() => r()));
  };
  bus = new MqttBus({ url, clientId: 'vending-test' });
  await bus.start();
  db = await new PgliteDatabase().start();
  world = await buildWorld(db, {
    meters: 2,
    service: { delivery: new TokenDelivery({ publisher: bus, subscriber: bus, topics }) },
  });
  await db.query(`UPDATE meters SET connected = true WHERE id = 'M1'`);

  // The meter: takes cmd/token, enters it into the STS decoder, reports accepted/rejected.
  const decoder = new MeterDecoder({ meterKey: world.meters[0]!.key });
  meterClient = await mqtt.connectAsync(url, { clientId: 'meter-M1' });
  await meterClient.subscribeAsync(topics.command('M1', 'token'), { qos: 1 });
  meterClient.on('message', (_topic, payload) => {
    const cmd = JSON.parse(String(payload)) as TokenCommand;
    received.push(cmd);
    const r = decoder.enter(cmd.token, new Date());
    const ev: MeterEvent = {
      v: 1,
      meter: 'M1',
      ts: new Date().toISOString(),
      kind: r.ok ? 'token.accepted' : 'token.rejected',
      token: cmd.token,
      ...(r.ok ? {} : { reason: r.reason }),
    };
    void meterClient.publishAsync(topics.event('M1'), JSON.stringify(ev), { qos: 1 });
  });
}, 60_000);

afterAll(async () => {
  await meterClient?.endAsync();
  await world?.service.stop();
  await bus?.stop();
  await stopBroker?.();
  await db?.close();
});

describe('remote token delivery over MQTT', () => {
  it('publishes a connected meter’s token on cmd/token and records the meter’s acceptance', async () => {
    const r = await world.service.vend(vendor, { meterId: 'M1', amount: 50, requestId: 'd-1' });
    const status = await waitFor(async () => {
      const { rows } = await db.query<{ status: string }>(
        'SELECT status FROM tokens WHERE meter_id = $1 AND digits = $2',
        ['M1', r.token],
      );
      return rows[0]?.status === 'accepted' ? rows[0].status : undefined;
    }, 'token.accepted');
    expect(status).toBe('accepted');
    expect(received.at(-1)).toMatchObject({ v: 1, meter: 'M1', token: r.token });
  });

  it('records a rejection with the meter’s reason (a replayed token is Used)', async () => {
    const r = await world.service.vend(vendor, { meterId: 'M1', amount: 40, requestId: 'd-2' });
    await waitFor(async () => {
      const { rows } = await db.query<{ status: string }>('SELECT status FROM tokens WHERE digits = $1', [
        r.token,
      ]);
      return rows[0]?.status === 'accepted' ? true : undefined;
    }, 'first acceptance');
    // Push the same token again by hand: the meter refuses it, the event marks the attempt.
    await db.query(`UPDATE tokens SET status = 'sent' WHERE digits = $1`, [r.token]);
    await bus.publish(
      topics.command('M1', 'token'),
      JSON.stringify({ v: 1, id: 'again', meter: 'M1', ts: new Date().toISOString(), token: r.token }),
      { qos: 1 },
    );
    const row = await waitFor(async () => {
      const { rows } = await db.query<{ status: string; reason: string | null }>(
        'SELECT status, reason FROM tokens WHERE digits = $1',
        [r.token],
      );
      return rows[0]?.status === 'rejected' ? rows[0] : undefined;
    }, 'token.rejected');
    expect(row).toEqual({ status: 'rejected', reason: 'Used' });
  });

  it('does not publish for meters that are not connected, and ignores malformed events', async () => {
    const before = received.length;
    const r = await world.service.vend(vendor, { meterId: 'M2', amount: 40, requestId: 'd-3' });
    const { rows } = await db.query<{ status: string }>('SELECT status FROM tokens WHERE digits = $1', [
      r.token,
    ]);
    expect(rows[0]!.status).toBe('issued');
    const delivery = world.service.options.delivery!;
    expect(await delivery.onEvent(topics.event('M1'), '{"v":1,"kind":"nope"}')).toMatchObject({ ok: false });
    expect(
      await delivery.onEvent(
        topics.event('M2'),
        JSON.stringify({
          v: 1,
          meter: 'M1',
          ts: new Date().toISOString(),
          kind: 'token.accepted',
          token: r.token,
        }),
      ),
    ).toMatchObject({
      ok: false,
      reason: 'event meter does not match its topic',
    });
    expect(received.length).toBe(before);
  });
});
