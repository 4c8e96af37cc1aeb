import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
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

const BIN = new URL('../../bin/metergate', import.meta.url).pathname;

/** `metergate edge --config edge.yaml` as a real process: config errors, SIGTERM, SIGKILL + last will. */
describe('metergate edge (process)', () => {
  let dir: string;
  let broker: Peer;
  let meter: Peer;
  let brokerPort: number;
  let modbusPort: number;

  beforeAll(async () => {
    mosquittoBinary();
    requirePythonModule('pymodbus', 'python3-pymodbus');
    dir = tempDir('mg-edge-cli-');
    brokerPort = await freePort();
    modbusPort = await freePort();
    broker = startMosquitto(dir, brokerPort);
    meter = startProcess(DEBIAN_PYTHON, [
      PYMODBUS_SERVER,
      'tcp',
      String(modbusPort),
      '7',
      JSON.stringify(SDM630_RAW),
    ]);
    await waitFor(() => tcpOpen(brokerPort), 10_000, 'mosquitto');
    await waitFor(() => tcpOpen(modbusPort), 15_000, 'pymodbus tcp');
  });
  afterAll(async () => {
    await meter?.stop();
    await broker?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function writeConfig(name: string, body: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, body);
    return file;
  }
  const goodConfig = () =>
    writeConfig(
      'edge.yaml',
      [
        'edgeId: cli-edge',
        'meters:',
        `  - { id: sdm-7, model: sdm630, interval: 0.2, transport: { type: tcp, host: 127.0.0.1, port: ${modbusPort}, unitId: 7 } }`,
        `broker: { url: "mqtt://127.0.0.1:${brokerPort}", prefix: cli/v1 }`,
        `outbox: { dir: "${path.join(dir, 'outbox')}", maxBytes: 1048576, maxAgeHours: 1 }`,
        '',
      ].join('\n'),
    );
  const exited = (p: Peer) =>
    new Promise<number | null>((r) =>
      p.proc.exitCode !== null ? r(p.proc.exitCode) : p.proc.once('exit', (c) => r(c)),
    );

  it('exits 1 naming the bad key', async () => {
    const bad = writeConfig(
      'bad.yaml',
      'edgeId: x\nmeters: [{ id: m, model: sdm630, interval: 1, transport: { type: tcp, host: h, port: 0 } }]\nbroker: { url: "mqtt://h" }\noutbox: { dir: /tmp }\n',
    );
    const p = startProcess(BIN, ['edge', '--config', bad]);
    expect(await exited(p)).toBe(1);
    expect(p.output()).toMatch(/MG_ERR_DRIVER_CONFIG.*\n.*meters\[0\]\.transport\.port/);
  });

  it('publishes readings, stops cleanly on SIGTERM, and its last will fires on SIGKILL', async () => {
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, { clientId: 'cli-watch' });
    const seqs: number[] = [];
    const states: boolean[] = [];
    sub.on('message', (topic, payload) => {
      if (topic === 'cli/v1/edges/cli-edge/state')
        states.push((JSON.parse(payload.toString()) as { online: boolean }).online);
      else {
        const r = decodePayload('reading', payload);
        expect(r.ok).toBe(true);
        if (r.ok) {
          expect(r.value.source).toBe('modbus-tcp');
          expect(r.value.values['1-0:32.7.0']).toBeCloseTo(230.1, 4);
          seqs.push(r.value.seq);
        }
      }
    });
    await sub.subscribeAsync(['cli/v1/meters/+/reading', 'cli/v1/edges/+/state'], { qos: 1 });
    try {
      const cfg = goodConfig();
      const first = startProcess(BIN, ['edge', '--config', cfg]);
      await waitFor(
        () => seqs.length >= 3,
        30_000,
        `readings from the edge process (${first.output().slice(-800)})`,
      );
      first.proc.kill('SIGTERM');
      expect(await exited(first)).toBe(0);
      await waitFor(() => states.at(-1) === false, 5000, 'online:false after SIGTERM');

      const second = startProcess(BIN, ['edge', '--config', cfg]);
      await waitFor(() => states.at(-1) === true, 30_000, 'online:true after restart');
      const n = seqs.length;
      await waitFor(() => seqs.length >= n + 2, 30_000, 'readings after restart');
      second.proc.kill('SIGKILL');
      await exited(second);
      await waitFor(() => states.at(-1) === false, 10_000, 'last will online:false after SIGKILL');
      // seq continued across the clean restart
      const sorted = [...new Set(seqs)].sort((a, b) => a - b);
      expect(sorted.slice(0, n)).toEqual(Array.from({ length: n }, (_, i) => i));
    } finally {
      await sub.endAsync(true);
    }
  });
});
