import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createMetergateBroker, type MetergateBroker, type MetergateBrokerOptions } from './broker.js';
import { FileCredentialStore, parseCredentials } from './credential-store.js';
import { hashPassword } from './password-hash.js';
import { asUser, closed, connect, nextMessage, TEST_PASSWORD } from './test-helpers.js';

// Embedded broker, real mqtt.js clients: the session-takeover refusals of client-id-policy.ts.
const open: MqttClient[] = [];
const brokers: MetergateBroker[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.end(true);
  for (const b of brokers.splice(0)) await b.stop();
});

async function start(
  extra: Partial<MetergateBrokerOptions> = {},
  gwClientIds?: string[],
): Promise<{ b: MetergateBroker; url: string; warnings: object[] }> {
  const hash = await hashPassword(TEST_PASSWORD, 10);
  const credentials = new FileCredentialStore({
    records: [
      { username: 'edge-1', role: 'edge', meters: ['M-1'], passwordHash: hash },
      { username: 'edge-2', role: 'edge', meters: ['M-2'], passwordHash: hash },
      {
        username: 'gw',
        role: 'gateway',
        meters: [],
        passwordHash: hash,
        ...(gwClientIds ? { clientIds: gwClientIds } : {}),
      },
    ],
  });
  const warnings: object[] = [];
  const noop = () => undefined;
  const b = createMetergateBroker({
    port: 0,
    credentials,
    limits: { connectionRate: { perSecond: 1000, burst: 1000 } },
    logger: { info: noop, debug: noop, error: noop, warn: (o) => warnings.push(o) },
    ...extra,
  });
  await b.start();
  brokers.push(b);
  return { b, url: `mqtt://127.0.0.1:${b.ports.tcp}`, warnings };
}
async function client(url: string, opts: Parameters<typeof connect>[1]): Promise<MqttClient> {
  const c = await connect(url, opts);
  open.push(c);
  return c;
}

describe('identity-bound client ids', () => {
  it('refuses valid edge credentials with the gateway client id; the gateway keeps receiving', async () => {
    const { b, url, warnings } = await start();
    const gw = await client(url, asUser('gw', { clientId: 'gw:host-a', clean: false }));
    await gw.subscribeAsync('metergate/v1/meters/+/reading', { qos: 1 });

    await expect(connect(url, asUser('edge-1', { clientId: 'gw:host-a', clean: false }))).rejects.toThrow(
      /Not authorized/i,
    );
    expect(b.metrics.stats.refusals['client-id-taken']).toBe(1);
    expect(warnings).toContainEqual(
      expect.objectContaining({ reason: 'client-id-taken', clientId: 'gw:host-a', owner: 'gateway/gw' }),
    );
    expect(await b.metrics.registry.metrics()).toMatch(
      /metergate_broker_refusals_total\{reason="client-id-taken"\} 1/,
    );

    expect(gw.connected).toBe(true);
    const edge = await client(url, asUser('edge-1', { clientId: 'edge-1' }));
    const got = nextMessage(gw, 'metergate/v1/meters/M-1/reading');
    edge.publish('metergate/v1/meters/M-1/reading', 'r1', { qos: 1 });
    expect((await got)?.toString()).toBe('r1');
  });

  it("refuses one edge taking another's id, and any id headed by another user's name", async () => {
    const { url } = await start();
    await client(url, asUser('edge-1', { clientId: 'edge-1' }));
    for (const id of ['edge-1', 'edge-1:x', 'gw', 'gw:anything'])
      await expect(connect(url, asUser('edge-2', { clientId: id }))).rejects.toThrow(/Not authorized/i);
    // Its own forms are fine.
    await client(url, asUser('edge-2', { clientId: 'edge-2:modbus' }));
  });

  it('binds an unowned id to its first identity for the life of a persistent session, even offline', async () => {
    const { b, url } = await start();
    const gw = await client(url, asUser('gw', { clientId: 'metergate-gateway-h1', clean: false }));
    await gw.subscribeAsync('metergate/v1/meters/+/reading', { qos: 1 });
    gw.end(true);
    expect(await closed(gw)).toBe(true);
    // The gateway is away and its queue fills: the id stays its own.
    const edge = await client(url, asUser('edge-1', { clientId: 'edge-1' }));
    await edge.publishAsync('metergate/v1/meters/M-1/reading', 'queued', { qos: 1 });
    await expect(
      connect(url, asUser('edge-2', { clientId: 'metergate-gateway-h1', clean: false })),
    ).rejects.toThrow(/Not authorized/i);
    const back = await client(url, asUser('gw', { clientId: 'metergate-gateway-h1', clean: false }));
    expect((await nextMessage(back, 'metergate/v1/meters/M-1/reading', 3000))?.toString()).toBe('queued');
    // A clean connect by the owner ends the session; once it is gone the id is free again.
    back.end(true);
    const cleaner = await client(url, asUser('gw', { clientId: 'metergate-gateway-h1', clean: true }));
    cleaner.end(true);
    expect(await closed(cleaner)).toBe(true);
    await client(url, asUser('edge-2', { clientId: 'metergate-gateway-h1', clean: true }));
    expect(b.metrics.stats.refusals['client-id-taken']).toBe(1);
  });

  it('lets the credentials file list client ids (exact or prefix*) for an identity', async () => {
    const { url } = await start({}, ['metergate-gateway-*', 'ingest-a']);
    await expect(connect(url, asUser('edge-1', { clientId: 'metergate-gateway-h2' }))).rejects.toThrow(
      /Not authorized/i,
    );
    await expect(connect(url, asUser('edge-1', { clientId: 'ingest-a' }))).rejects.toThrow(/Not authorized/i);
    await client(url, asUser('gw', { clientId: 'metergate-gateway-h2' }));
    await client(url, asUser('gw', { clientId: 'ingest-a' }));
  });

  it('strict mode refuses ids that are not the identity own', async () => {
    const { url } = await start({ strictClientIds: true }, ['ingest-*']);
    await expect(connect(url, asUser('edge-1', { clientId: 'mqttjs_1234' }))).rejects.toThrow(
      /Not authorized/i,
    );
    await client(url, asUser('edge-1', { clientId: 'edge-1:rs485' }));
    await client(url, asUser('gw', { clientId: 'ingest-7' }));
  });

  it('keeps anonymous clients off device ids', async () => {
    const { url } = await start({ allowAnonymous: true });
    await expect(connect(url, { clientId: 'gw:host-a' })).rejects.toThrow(/Not authorized/i);
    await expect(connect(url, { clientId: 'edge-2' })).rejects.toThrow(/Not authorized/i);
    await client(url, { clientId: 'wallboard-7' });
  });
});

describe('credentials file clientIds', () => {
  const base = { role: 'edge', password: undefined };
  it('names a list claimed twice, an id of another user and a misplaced wildcard', () => {
    expect(() =>
      parseCredentials({
        users: [
          { ...base, username: 'a', clientIds: ['shared'] },
          { ...base, username: 'b', clientIds: ['shared', 'a:1', 'x*y'] },
        ],
      }),
    ).toThrow(/\/users\/1\/clientIds must be a list/);
    expect(() =>
      parseCredentials({
        users: [
          { ...base, username: 'a', clientIds: ['shared'] },
          { ...base, username: 'b', clientIds: ['shared', 'a:1'] },
        ],
      }),
    ).toThrow(/"shared" is claimed by both a and b.*"a:1" of b belongs to user a/);
  });
});
