import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import pg from 'pg';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { TopicScheme, decodeReading } from '../../protocol/index.js';
import {
  SERVICES,
  requireCommand,
  requireInflux,
  requireMosquitto,
  requirePostgres,
  requirePythonModule,
  requireRedis,
} from '../support/services.js';

const run = promisify(execFile);

// The real servers and peers every later suite depends on answer, and the protocol contracts
// travel through an independent broker and independent clients unchanged.
describe('real services', () => {
  it('PostgreSQL answers SQL', async () => {
    await requirePostgres();
    const client = new pg.Client({ connectionString: SERVICES.postgres });
    await client.connect();
    const { rows } = await client.query<{ n: number }>('SELECT 40 + 2 AS n');
    await client.end();
    expect(rows[0]?.n).toBe(42);
  });

  it('Redis answers commands', async () => {
    await requireRedis();
    const r = new Redis(SERVICES.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    await r.set('metergate:probe', 'ok', 'EX', 10);
    expect(await r.get('metergate:probe')).toBe('ok');
    r.disconnect();
  });

  it('InfluxDB serves the v1 /write and /query API', async () => {
    await requireInflux();
    const db = `mg_probe_${process.pid}`;
    const q = (query: string) =>
      fetch(`${SERVICES.influx}/query?q=${encodeURIComponent(query)}`, { method: 'POST' });
    expect((await q(`CREATE DATABASE ${db}`)).status).toBe(200);
    const w = await fetch(`${SERVICES.influx}/write?db=${db}&precision=ms`, {
      method: 'POST',
      body: 'probe,meter=m1 value=1.5 1700000000000',
    });
    expect(w.status).toBe(204);
    const res = await fetch(
      `${SERVICES.influx}/query?db=${db}&q=${encodeURIComponent('SELECT value FROM probe')}`,
    );
    const body = (await res.json()) as { results: Array<{ series?: Array<{ values: unknown[][] }> }> };
    expect(body.results[0]?.series?.[0]?.values[0]?.[1]).toBe(1.5);
    await q(`DROP DATABASE ${db}`);
  });

  it('a reading published by mosquitto_pub through Mosquitto decodes with the protocol schema', async () => {
    await requireMosquitto();
    requireCommand('mosquitto_pub', 'mosquitto-clients');
    const topics = new TopicScheme(`mgtest${process.pid}/v1`);
    const client = await mqtt.connectAsync(SERVICES.mqtt, { clientId: `probe-${process.pid}` });
    await client.subscribeAsync(topics.readingFilter(), { qos: 1 });
    const received = new Promise<Buffer>((resolve) =>
      client.on('message', (_t, payload) => resolve(payload)),
    );
    const reading = {
      v: 1,
      meter: 'SDM630-0001',
      seq: 7,
      ts: '2026-11-22T10:15:00.000Z',
      values: { '1-0:1.8.0': 1234.567, '1-0:32.7.0': 231.2 },
      source: 'modbus-tcp',
    };
    const u = new URL(SERVICES.mqtt);
    await run('mosquitto_pub', [
      '-h',
      u.hostname,
      '-p',
      u.port || '1883',
      '-q',
      '1',
      '-t',
      topics.reading('SDM630-0001'),
      '-m',
      JSON.stringify(reading),
    ]);
    const payload = await received;
    await client.endAsync();
    expect(decodeReading(payload)).toMatchObject({
      ok: true,
      value: { meter: 'SDM630-0001', seq: 7, quality: 'good' },
    });
  });

  it('the third-party peers are installed', () => {
    for (const [cmd, pkg] of [
      ['mbpoll', 'mbpoll'],
      ['socat', 'socat'],
      ['mosquitto_sub', 'mosquitto-clients'],
      ['chromium', 'chromium'],
      ['gcc', 'gcc'],
    ] as const) {
      expect(requireCommand(cmd, pkg)).toMatch(/\//);
    }
    requirePythonModule('pymodbus', 'python3-pymodbus');
  });
});
