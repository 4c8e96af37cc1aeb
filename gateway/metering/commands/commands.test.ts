import Fastify, { type FastifyInstance } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import { MqttBus, PgliteDatabase, authPlugin, createApiKey, type SqlDatabase } from '../../platform/index.js';
import { startTestBroker } from '../../platform/bus/test-broker.js';
import { MeterCommandService } from './command-service.js';
import { commandsPlugin } from './routes.js';

const topics = new TopicScheme();
let db: SqlDatabase;
let broker: Awaited<ReturnType<typeof startTestBroker>>;
let bus: MqttBus;
let edge: MqttClient;
let service: MeterCommandService;
let app: FastifyInstance;
const keys = { operator: '', customer: '' };
/** The stand-in edge fails a command whose reason is `fail`, ignores one whose reason is `silent`. */
const received: Array<{ topic: string; body: Record<string, unknown> }> = [];

/** Waits until `check` holds, polling the database (no fixed sleeps). */
async function until<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  db = await new PgliteDatabase().start();
  broker = await startTestBroker();
  bus = new MqttBus({ url: broker.url, clientId: 'gw-commands-test', clean: true });
  await bus.start();
  service = await new MeterCommandService({
    db,
    bus,
    topics,
    knownMeter: async (id) => id.startsWith('M-'),
  }).start();
  // A stand-in edge speaking the protocol: answers every command on the meter's event topic.
  edge = await mqtt.connectAsync(broker.url, { clientId: 'edge-standin', protocolVersion: 4 });
  edge.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    received.push({ topic, body });
    const parsed = topics.parse(topic);
    if (!parsed.ok || parsed.kind !== 'cmd') return;
    const mode = body.reason === 'fail' ? 'failed' : body.reason === 'silent' ? 'silent' : undefined;
    if (mode === 'silent') return;
    const event = {
      v: 1,
      meter: parsed.meterId,
      ts: new Date().toISOString(),
      kind: 'command',
      command: parsed.command,
      cmd: body.id,
      outcome: mode ?? 'done',
      ...(mode === 'failed' ? { detail: 'exception 4' } : {}),
      ...(parsed.command === 'relay' && mode !== 'failed'
        ? { relay: body.action === 'open' ? 'disconnected' : 'connected' }
        : {}),
    };
    void edge.publishAsync(topics.event(parsed.meterId), JSON.stringify(event), { qos: 1 });
  });
  await edge.subscribeAsync(`${topics.prefix}/meters/+/cmd/+`, { qos: 1 });
  app = Fastify({
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  await app.register(authPlugin, { db, rateLimit: false });
  await app.register(commandsPlugin, { service });
  await app.ready();
  keys.operator = (await createApiKey(db, { role: 'operator', label: 'ops' })).key;
  keys.customer = (await createApiKey(db, { role: 'customer', customerId: 'C1', label: 'c1' })).key;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await edge?.endAsync();
  await service?.stop();
  await bus?.stop();
  await broker?.stop();
  await db?.close();
});

const post = (url: string, body: unknown, key = keys.operator) =>
  app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload: body as object });
const get = (url: string, key = keys.operator) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

async function outcome(meterId: string, id: string) {
  return until(async () => {
    const c = await service.get(meterId, id);
    return c && c.status !== 'pending' && c.status !== 'sent' ? c : undefined;
  });
}

describe('commands from the centre (REST → MQTT → edge answer → stored outcome)', () => {
  it('opens the relay: 202 with the command, cmd/relay on the bus, the edge’s outcome stored and listed', async () => {
    const res = await post('/api/meters/M-1/relay', { state: 'open', reason: 'unpaid since 2026-11-01' });
    expect(res.statusCode).toBe(202);
    const cmd = res.json();
    expect(cmd).toMatchObject({
      meterId: 'M-1',
      command: 'relay',
      action: 'open',
      reason: 'unpaid since 2026-11-01',
    });
    expect(['pending', 'sent', 'done']).toContain(cmd.status);
    const done = await outcome('M-1', cmd.id);
    expect(done).toMatchObject({ status: 'done', relay: 'disconnected' });
    const sent = await until(async () => received.find((r) => r.body.id === cmd.id));
    expect(sent.topic).toBe('metergate/v1/meters/M-1/cmd/relay');
    expect(sent.body).toMatchObject({
      v: 1,
      meter: 'M-1',
      action: 'open',
      reason: 'unpaid since 2026-11-01',
    });
    expect(Date.parse(sent.body.expiresAt as string)).toBeGreaterThan(Date.now());

    const list = (await get('/api/meters/M-1/commands')).json();
    expect(list).toMatchObject({ meterId: 'M-1', relay: 'disconnected' });
    expect(list.commands[0]).toMatchObject({ id: cmd.id, status: 'done' });

    const one = (await get(`/api/meters/M-1/commands/${cmd.id}`)).json();
    expect(one.trail.map((t: { step: string }) => t.step)).toEqual(['requested', 'sent', 'done']);
    expect(one.trail[0]).toMatchObject({
      actor: expect.any(String),
      detail: expect.stringContaining('relay open'),
    });

    const close = await post('/api/meters/M-1/relay', { state: 'close' });
    await outcome('M-1', close.json().id);
    expect((await get('/api/meters/M-1/commands')).json().relay).toBe('connected');
  });

  it('stores a failed outcome with the edge’s detail; set and read-now publish cmd/set and cmd/read', async () => {
    const set = await post('/api/meters/M-2/settings', {
      field: 'demand-limit',
      value: 12,
      requestId: 'r-set-1',
    });
    expect(set.statusCode).toBe(202);
    expect(await until(async () => received.find((r) => r.body.id === set.json().id))).toMatchObject({
      topic: 'metergate/v1/meters/M-2/cmd/set',
      body: { field: 'demand-limit', value: 12 },
    });
    expect(await outcome('M-2', set.json().id)).toMatchObject({
      status: 'done',
      field: 'demand-limit',
      value: 12,
    });

    const read = await post('/api/meters/M-2/read-now', {});
    expect(read.statusCode).toBe(202);
    expect(await outcome('M-2', read.json().id)).toMatchObject({ command: 'read', status: 'done' });

    const failing = await post('/api/meters/M-2/relay', { state: 'open', reason: 'fail' });
    expect(await outcome('M-2', failing.json().id)).toMatchObject({
      status: 'failed',
      detail: 'exception 4',
    });
    expect((await get('/api/meters/M-2/commands')).json().relay).toBeUndefined();
  });

  it('a retry with the same requestId returns the first command (200) and publishes nothing; another body is 409', async () => {
    const first = await post('/api/meters/M-3/relay', { state: 'open', requestId: 'op-77' });
    expect(first.statusCode).toBe(202);
    await outcome('M-3', first.json().id);
    const before = received.length;
    const again = await post('/api/meters/M-3/relay', { state: 'open', requestId: 'op-77' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, status: 'done' });
    const other = await post('/api/meters/M-3/relay', { state: 'close', requestId: 'op-77' });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('MG_ERR_COMMAND_REQUEST_REUSED');
    expect(received.length).toBe(before);
  });

  it('answers from the edge: duplicate and late answers never overwrite, foreign meters and junk are refused', async () => {
    const c = await service.issue({ meterId: 'M-4', command: 'relay', action: 'close', requestedBy: 't' });
    await outcome('M-4', c.command.id);
    const ev = (outcome_: string, meter = 'M-4') =>
      JSON.stringify({
        v: 1,
        meter,
        ts: new Date().toISOString(),
        kind: 'command',
        command: 'relay',
        cmd: c.command.id,
        outcome: outcome_,
      });
    expect(await service.onEvent(topics.event('M-4'), ev('duplicate'))).toEqual({ ok: true });
    expect(await service.onEvent(topics.event('M-4'), ev('failed'))).toEqual({ ok: true });
    expect((await service.get('M-4', c.command.id))!.status).toBe('done');
    expect((await service.trail(c.command.id)).map((t) => t.step)).toContain('late-failed');
    expect(await service.onEvent(topics.event('M-5'), ev('done', 'M-5'))).toMatchObject({ ok: false });
    expect(await service.onEvent(topics.event('M-4'), ev('done', 'M-5'))).toMatchObject({ ok: false });
    expect(await service.onEvent(topics.event('M-4'), '{"v":1')).toMatchObject({ ok: false });
  });

  it('the relay state follows the meter’s own relay event (a prepaid meter opening at zero credit) when newer', async () => {
    const c = await service.issue({ meterId: 'M-7', command: 'relay', action: 'close', requestedBy: 't' });
    await outcome('M-7', c.command.id);
    expect(await service.relayState('M-7')).toMatchObject({ relay: 'connected', cause: c.command.id });
    const relayEvent = (relay: string, ts: string) =>
      JSON.stringify({ v: 1, meter: 'M-7', ts, kind: 'relay', relay });
    expect(
      await service.onEvent(topics.event('M-7'), relayEvent('disconnected', new Date().toISOString())),
    ).toEqual({
      ok: true,
    });
    expect((await get('/api/meters/M-7/commands')).json()).toMatchObject({
      relay: 'disconnected',
      relayCause: 'meter',
    });
    // An older event (redelivered late) does not roll the state back.
    await service.onEvent(topics.event('M-7'), relayEvent('connected', '2020-01-01T00:00:00Z'));
    expect((await service.relayState('M-7'))!.relay).toBe('disconnected');
  });

  it('the audit log is append-only', async () => {
    await expect(db.query('DELETE FROM meter_command_log')).rejects.toThrow(/append-only/);
    await expect(db.query(`UPDATE meter_command_log SET actor = 'x'`)).rejects.toThrow(/append-only/);
  });

  it('refuses unknown meters (404), customers (403), bad bodies (400) and unknown commands (404)', async () => {
    const unknown = await post('/api/meters/X-1/relay', { state: 'open' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('MG_ERR_METER_NOT_FOUND');
    expect((await post('/api/meters/M-1/relay', { state: 'open' }, keys.customer)).statusCode).toBe(403);
    for (const body of [
      {},
      { state: 'ajar' },
      { state: 'open', extra: 1 },
      { state: 'open', ttlSeconds: 5 },
    ]) {
      const r = await post('/api/meters/M-1/relay', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
    }
    const missing = await get('/api/meters/M-1/commands/cnothere');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('MG_ERR_COMMAND_NOT_FOUND');
  });

  it('a command the edge never answers stays sent, with its expiry', async () => {
    const c = await service.issue({
      meterId: 'M-6',
      command: 'read',
      requestedBy: 't',
      reason: 'silent',
      ttlSeconds: 60,
    });
    const stored = await until(async () => {
      const x = await service.get('M-6', c.command.id);
      return x?.status === 'sent' ? x : undefined;
    });
    expect(Date.parse(stored.expiresAt) - Date.parse(stored.createdAt)).toBe(60_000);
    // Read an hour later (past expiry and grace): reported unanswered, never stored as such.
    const later = new MeterCommandService({
      db,
      bus,
      topics,
      knownMeter: async () => true,
      now: () => Date.now() + 3_600_000,
    });
    expect(await later.get('M-6', c.command.id)).toMatchObject({ status: 'unanswered' });
    expect((await later.list('M-6'))[0]).toMatchObject({ status: 'unanswered' });
    expect((await service.get('M-6', c.command.id))!.status).toBe('sent');
  });
});
