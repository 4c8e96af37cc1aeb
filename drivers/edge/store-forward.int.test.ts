import fs from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePayload } from '../../protocol/index.js';
import { DEBIAN_PYTHON, freePort, requirePythonModule } from '../../test/support/services.js';
import {
  mosquittoBinary,
  PYMODBUS_SERVER,
  SDM630_RAW,
  startMosquitto,
  startProcess,
  tcpOpen,
  tempDir,
  waitFor,
  type Peer,
} from '../test-peers/peers.js';
import type { EdgeConfig } from './config.js';
import { Edge } from './edge.js';

interface Got {
  meter: string;
  seq: number;
  historical: boolean;
}

/**
 * Store-and-forward against a real broker that goes away: a private mosquitto (with persistence, so
 * the subscriber's QoS 1 session survives its restart) is stopped mid-run, the edge is restarted
 * during the outage, the broker comes back, and every polled reading must arrive exactly once.
 * The meters are pymodbus TCP slaves, so the readings are real polls.
 */
describe('store-and-forward across a broker outage and an edge restart', () => {
  let dir: string;
  let brokerPort: number;
  let broker: Peer;
  let meters: Peer;
  let sub: MqttClient;
  const got: Got[] = [];
  const edgeStates: Array<{ online: boolean }> = [];
  const meterStates = new Map<
    string,
    { online: boolean; consecutiveFailures?: number; lastSuccess?: string | null }
  >();
  let config: EdgeConfig;

  beforeAll(async () => {
    mosquittoBinary();
    requirePythonModule('pymodbus', 'python3-pymodbus');
    dir = tempDir('mg-sf-');
    brokerPort = await freePort();
    const modbusPort = await freePort();
    broker = startMosquitto(dir, brokerPort);
    meters = startProcess(DEBIAN_PYTHON, [
      PYMODBUS_SERVER,
      'tcp',
      String(modbusPort),
      '1,2',
      JSON.stringify(SDM630_RAW),
    ]);
    await waitFor(() => tcpOpen(brokerPort), 10_000, 'mosquitto');
    await waitFor(() => tcpOpen(modbusPort), 15_000, `pymodbus tcp (${meters.output()})`);
    sub = mqtt.connect(`mqtt://127.0.0.1:${brokerPort}`, {
      clientId: 'sf-subscriber',
      clean: false,
      reconnectPeriod: 100,
    });
    sub.on('message', (topic, payload) => {
      if (topic.endsWith('/state') && topic.includes('/edges/')) {
        edgeStates.push(JSON.parse(payload.toString()) as { online: boolean });
        return;
      }
      if (topic.endsWith('/state')) {
        const st = decodePayload('state', payload);
        if (!st.ok) throw new Error(`bad meter state on ${topic}: ${st.message}`);
        meterStates.set(st.value.meter, st.value);
        return;
      }
      const r = decodePayload('reading', payload);
      if (!r.ok) throw new Error(`bad reading on ${topic}: ${r.message}`);
      got.push({ meter: r.value.meter, seq: r.value.seq, historical: r.value.historical === true });
    });
    await new Promise<void>((res) => sub.once('connect', () => res()));
    await sub.subscribeAsync(['sf/v1/meters/+/reading', 'sf/v1/meters/+/state', 'sf/v1/edges/+/state'], {
      qos: 1,
    });
    config = {
      edgeId: 'edge-sf',
      meters: [
        ...[1, 2].map((unit) => ({
          id: `sdm-${unit}`,
          model: 'sdm630',
          transport: { type: 'tcp' as const, host: '127.0.0.1', port: modbusPort, unitId: unit },
          interval: 0.1,
          timeoutMs: 1000,
        })),
        // A unit id pymodbus does not serve: health must say so, and it must never yield a reading.
        {
          id: 'ghost-9',
          model: 'sdm630',
          transport: { type: 'tcp' as const, host: '127.0.0.1', port: modbusPort, unitId: 9 },
          interval: 0.1,
          timeoutMs: 150,
          retries: 0,
        },
      ],
      broker: { url: `mqtt://127.0.0.1:${brokerPort}`, prefix: 'sf/v1', clientId: 'edge-sf' },
      outbox: { dir: path.join(dir, 'outbox'), maxBytes: 16 * 2 ** 20, maxAgeHours: 1 },
    };
  });

  afterAll(async () => {
    await sub?.endAsync(true);
    await broker?.stop();
    await meters?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every reading exactly once, with replays marked historical', async () => {
    const edgeA = new Edge({ config });
    await edgeA.start();
    await waitFor(() => got.length >= 10, 20_000, 'live readings before the outage');

    await broker.stop(); // mid-run outage
    const before = edgeA.snapshot().pollsOk;
    await waitFor(() => edgeA.snapshot().pollsOk >= before + 10, 20_000, 'polls during the outage');
    expect(edgeA.snapshot().outboxDepth).toBeGreaterThan(0);

    await edgeA.stop(); // edge restart in the middle of the outage
    const polledA = edgeA.snapshot().pollsOk;
    const edgeB = new Edge({ config });
    await edgeB.start();
    await waitFor(
      () => edgeB.snapshot().pollsOk >= 10,
      20_000,
      'polls by the restarted edge during the outage',
    );

    broker = startMosquitto(dir, brokerPort); // same port, same persistence
    await waitFor(() => edgeB.snapshot().readingsPublished >= 30, 30_000, 'replay after the broker returns');
    await edgeB.stop();
    const polled = polledA + edgeB.snapshot().pollsOk;
    expect(edgeA.snapshot().pollsFailed + edgeB.snapshot().pollsFailed).toBeGreaterThan(0);
    expect(edgeA.snapshot().outboxDropped + edgeB.snapshot().outboxDropped).toBe(0);
    expect(edgeB.snapshot().outboxDepth).toBe(0);

    await waitFor(
      () => got.length >= polled,
      30_000,
      `all ${polled} readings at the subscriber (got ${got.length})`,
    );
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
    expect(got.length).toBe(polled);
    for (const meter of ['sdm-1', 'sdm-2']) {
      const seqs = got.filter((g) => g.meter === meter).map((g) => g.seq);
      const sorted = [...seqs].sort((a, b) => a - b);
      expect(new Set(seqs).size).toBe(seqs.length); // no duplicates
      expect(sorted).toEqual(sorted.map((_, i) => i)); // 0..n-1: no gap across the restart
    }
    expect(got.filter((g) => g.historical).length).toBeGreaterThanOrEqual(20);
    expect(got.filter((g) => !g.historical).length).toBeGreaterThan(0);
    expect(got.some((g) => g.meter === 'ghost-9')).toBe(false);
    await waitFor(() => meterStates.get('sdm-1')?.online === true, 5000, 'sdm-1 state');
    expect(meterStates.get('sdm-1')).toMatchObject({ online: true, consecutiveFailures: 0 });
    expect(meterStates.get('ghost-9')).toMatchObject({ online: false, lastSuccess: null });
    expect(meterStates.get('ghost-9')!.consecutiveFailures).toBeGreaterThan(0);
    // Retained edge state: online while running, online:false after the clean stop.
    await waitFor(() => edgeStates.at(-1)?.online === false, 5000, 'edge offline state');
    expect(edgeStates.some((s) => s.online)).toBe(true);
  });
});
