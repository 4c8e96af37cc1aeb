import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DlmsEdgeReader, type DlmsPollResult } from '../../drivers/index.js';
import { SimClock } from '../model/clock.js';
import { DlmsSimulator } from './index.js';

/** The edge's DLMS reader against the simulator: registry values, incremental historical profile. */
const START = Date.parse('2026-02-02T10:05:00Z');
let sim: DlmsSimulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function reader(clock: SimClock, stateDir: string, transport: 'wrapper' | 'hdlc' = 'wrapper') {
  return new DlmsEdgeReader({
    meterId: 'm1',
    session: {
      host: '127.0.0.1',
      port: sim!.port,
      transport,
      auth: 'low',
      password: Buffer.from('metergate'),
      timeoutMs: 2000,
    },
    profile: { obis: '1.0.99.1.0.255', from: '2026-02-01T10:00:00Z' },
    stateDir,
    now: () => clock.now(),
  });
}

describe('DLMS edge reader', () => {
  it('reads registry values with scaler-unit and the profile incrementally, cursor committed by the edge', async () => {
    const clock = new SimClock({ start: START, acceleration: 0 });
    sim = new DlmsSimulator({ meters: 1, transport: 'hdlc', clock });
    await sim.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-dlms-edge-'));
    dirs.push(dir);
    const r = reader(clock, dir, 'hdlc');
    const first = (await r.poll()) as DlmsPollResult;
    expect(first.ok).toBe(true);
    const kwh = sim.meters[0]!.energy.importKwh(START);
    expect(first.values['1-0:1.8.0']).toBeCloseTo(Math.round(kwh * 1000) / 1000, 6);
    expect(first.values['1-0:32.7.0']).toBeGreaterThan(200);
    expect(first.historical).toHaveLength(97); // 2026-02-01T10:00 … 2026-02-02T10:00
    expect(first.historical[0]).toMatchObject({ ts: '2026-02-01T10:00:00.000Z' });
    // Not committed (the edge did not queue them): the same entries come again.
    expect(((await r.poll()) as DlmsPollResult).historical).toHaveLength(97);
    first.commit();
    clock.fastForward(60 * 60_000);
    const second = (await r.poll()) as DlmsPollResult;
    expect(second.historical.map((h) => h.ts)).toEqual([
      '2026-02-02T10:15:00.000Z',
      '2026-02-02T10:30:00.000Z',
      '2026-02-02T10:45:00.000Z',
      '2026-02-02T11:00:00.000Z',
    ]);
    second.commit();
    // A restarted edge resumes from the stored cursor.
    expect(((await reader(clock, dir, 'hdlc').poll()) as DlmsPollResult).historical).toHaveLength(0);
  });

  it('a meter that drops the association mid-read costs the poll, not the cursor', async () => {
    const clock = new SimClock({ start: START, acceleration: 0 });
    sim = new DlmsSimulator({ meters: 1, transport: 'wrapper', clock, faults: { dropConnectionAfter: 4 } });
    await sim.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-dlms-edge-'));
    dirs.push(dir);
    const r = reader(clock, dir);
    const res = await r.poll();
    expect(res.ok).toBe(false);
    expect(fs.existsSync(path.join(dir, 'm1.profile.json'))).toBe(false);
  });
});
