import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_PYTHON, requireCommand, requirePythonModule } from '../../test/support/services.js';
import type { FaultSpec } from '../model/faults.js';
import { SimulatedMeter } from '../model/simulated-meter.js';
import { openPtyPair, type PtyPair } from '../testing/pty-pair.js';
import { PEERS_DIR, run } from '../testing/run.js';
import { Iec62056Simulator } from './iec-server.js';

// Fault injection of the IEC 62056-21 simulator, seen by the independent pyserial mode C client.
type Readout = {
  ident?: string;
  error?: string;
  bcc?: number;
  bccComputed?: number;
  baud?: number;
  lines?: string[];
};

describe('Iec62056Simulator faults and baud offer (pyserial client over a socat pty)', () => {
  let dir: string;
  let pair: PtyPair;

  beforeAll(async () => {
    requireCommand('socat');
    requirePythonModule('serial', 'python3-serial');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-iec-'));
    pair = await openPtyPair(dir);
  });

  afterAll(async () => {
    await pair?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function readoutWith(faults: FaultSpec[], baud?: number): Promise<Readout> {
    const meter = new SimulatedMeter({ id: 'iec', model: 'sdm120', seed: 5, faults });
    const sim = new Iec62056Simulator({ path: pair.a, meter, ...(baud ? { baud } : {}) });
    await sim.start();
    try {
      const r = await run(DEBIAN_PYTHON, [path.join(PEERS_DIR, 'iec_client.py'), pair.b], 30_000);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Readout;
    } finally {
      await sim.stop();
    }
  }

  it('offers the configured baud and reads a single-phase meter', async () => {
    const r = await readoutWith([], 4800);
    expect(r.ident).toBe('/MGS4SIM-SDM120');
    expect(r.baud).toBe(4800);
    expect(r.bcc).toBe(r.bccComputed);
    expect(r.lines!.some((l) => l.startsWith('52.7.0('))).toBe(false);
    expect(r.lines!.some((l) => l.startsWith('32.7.0('))).toBe(true);
  });

  it('spoils the BCC on bad-crc, so the client can reject the block', async () => {
    const r = await readoutWith([{ kind: 'bad-crc' }]);
    expect(r.ident).toBe('/MGS5SIM-SDM120');
    expect(r.bcc).not.toBe(r.bccComputed);
  });

  it('stays silent when offline', async () => {
    const r = await readoutWith([{ kind: 'offline', durationMs: 60_000 }]);
    expect(r).toMatchObject({ error: 'no identification' });
  });

  it('delivers a byte-by-byte readout intact', async () => {
    const r = await readoutWith([{ kind: 'slow-bytes', byteDelayMs: 2 }]);
    expect(r.bcc).toBe(r.bccComputed);
    expect(r.lines!.at(-2)).toBe('!');
  });
});
