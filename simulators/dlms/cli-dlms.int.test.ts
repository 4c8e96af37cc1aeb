import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectTcp,
  DlmsClient,
  dlmsFromHex,
  parseObis,
  WrapperTransport,
  type DlmsData,
} from '../../drivers/index.js';
import { freePort } from '../../test/support/services.js';
import { SimClock } from '../model/clock.js';
import { METERGATE_BIN, run, startProcess, type RunningProcess } from '../testing/run.js';
import { DEFAULT_DLMS_KEYS, DlmsMeter } from './index.js';

/**
 * The relied-on CLI forms end to end: `metergate simulate --dlms … --meters N` read by
 * `metergate dlms read|objects|profile` over the wrapper and HDLC with each security level, and the
 * disconnect control really stopping consumption (driven by an HLS-GMAC client).
 */
const START = '2026-03-10T08:00:00Z';
const SEED = '11';
const EK = DEFAULT_DLMS_KEYS.ek;
const AK = DEFAULT_DLMS_KEYS.ak;
const AUTH: Record<string, string[]> = {
  none: [],
  low: ['--auth', 'low', '--password', 'metergate'],
  'high-gmac': ['--auth', 'high-gmac', '--block-cipher-key', EK, '--auth-key', AK],
};

function expectedWh(meterIndex: number): number {
  const clock = new SimClock({ start: Date.parse(START), acceleration: 0 });
  const m = new DlmsMeter({
    id: `dlms-${String(meterIndex).padStart(3, '0')}`,
    seed: SEED,
    clock,
    start: Date.parse(START),
  });
  return Math.round(m.energy.importKwh(Date.parse(START)) * 1000);
}

const lines = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

for (const transport of ['wrapper', 'hdlc'] as const) {
  describe(`metergate dlms against metergate simulate --dlms (${transport})`, () => {
    let port: number;
    let sim: RunningProcess;
    beforeAll(async () => {
      port = await freePort();
      sim = startProcess(METERGATE_BIN, [
        'simulate',
        '--dlms',
        `127.0.0.1:${port}`,
        '--dlms-transport',
        transport,
        '--meters',
        '3',
        '--seed',
        SEED,
        '--acceleration',
        '0',
        '--start',
        START,
      ]);
      await sim.waitFor('dlms clients:');
    });
    afterAll(async () => {
      await sim?.stop('SIGTERM');
    });

    for (const auth of ['none', 'low', 'high-gmac'] as const)
      it(`read with ${auth}: energy with scaler-unit, clock as ISO 8601, meter 3 of 3`, async () => {
        const r = await run(METERGATE_BIN, [
          'dlms',
          'read',
          '--host',
          '127.0.0.1',
          '--port',
          String(port),
          '--transport',
          transport,
          '--server',
          '3',
          ...AUTH[auth]!,
          '3:1.0.1.8.0.255:2',
          '0.0.1.0.0.255',
          '1.0.32.7.0.255',
          '0.0.42.0.0.255',
        ]);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const [energy, clock, voltage, ldn] = lines(r.stdout);
        expect(energy).toEqual({
          obis: '1.0.1.8.0.255',
          classId: 3,
          attribute: 2,
          value: expectedWh(3),
          scaler: 0,
          unit: 30,
        });
        expect(clock).toEqual({
          obis: '0.0.1.0.0.255',
          classId: 8,
          attribute: 2,
          value: '2026-03-10T08:00:00Z',
        });
        expect(voltage).toMatchObject({ classId: 3, scaler: -1, unit: 35 });
        expect(ldn).toMatchObject({ text: 'MGSdlms-00300000' });
      });

    it('objects and a profile range', async () => {
      const o = await run(METERGATE_BIN, [
        'dlms',
        'objects',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--transport',
        transport,
      ]);
      expect(o.code).toBe(0);
      expect(lines(o.stdout)).toEqual(
        expect.arrayContaining([
          { obis: '1.0.99.1.0.255', classId: 7, version: 1 },
          { obis: '0.0.96.3.10.255', classId: 70, version: 0 },
        ]),
      );
      const p = await run(METERGATE_BIN, [
        'dlms',
        'profile',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--transport',
        transport,
        '--obis',
        '1.0.99.1.0.255',
        '--from',
        '2026-03-09T00:00:00Z',
        '--to',
        '2026-03-09T23:45:00Z',
      ]);
      expect(p.code).toBe(0);
      const rows = lines(p.stdout);
      expect(rows).toHaveLength(96);
      expect(rows[0]).toMatchObject({ time: '2026-03-09T00:00:00Z' });
    });

    it('a wrong password exits non-zero with a one-line reason', async () => {
      const r = await run(METERGATE_BIN, [
        'dlms',
        'read',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--transport',
        transport,
        '--auth',
        'low',
        '--password',
        'nope',
        '0.0.1.0.0.255',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/MG_ERR_DLMS_AUTH/);
      expect(r.stderr).not.toMatch(/nope/);
    });
  });
}

describe('disconnect control stops consumption (simulator running at 3600×)', () => {
  let port: number;
  let sim: RunningProcess;
  beforeAll(async () => {
    port = await freePort();
    sim = startProcess(METERGATE_BIN, [
      'simulate',
      '--dlms',
      `127.0.0.1:${port}`,
      '--meters',
      '1',
      '--acceleration',
      '3600',
    ]);
    await sim.waitFor('dlms clients:');
  });
  afterAll(async () => {
    await sim?.stop('SIGTERM');
  });

  const readWh = async () => {
    const r = await run(METERGATE_BIN, [
      'dlms',
      'read',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '1.0.1.8.0.255',
      '1.0.1.7.0.255',
    ]);
    expect(r.code).toBe(0);
    const [e, p] = lines(r.stdout);
    return { wh: e!.value as number, w: p!.value as number };
  };

  it('remote_disconnect freezes the register and zeroes the power; remote_reconnect resumes', async () => {
    const ic = Number(
      lines(
        (
          await run(METERGATE_BIN, [
            'dlms',
            'read',
            '--host',
            '127.0.0.1',
            '--port',
            String(port),
            '0.0.43.1.0.255',
          ])
        ).stdout,
      )[0]!.value,
    );
    const t = new WrapperTransport(await connectTcp('127.0.0.1', port), 1, 1);
    const client = new DlmsClient(t, {
      auth: 'high-gmac',
      keys: { ek: dlmsFromHex(EK), ak: dlmsFromHex(AK) },
      invocationCounter: ic,
    });
    await client.associate();
    const dc = (attribute: number) => ({ classId: 70, ln: parseObis('0.0.96.3.10.255'), attribute });
    await client.action(dc(1), { type: 'integer', value: 0 } as DlmsData);
    await client.release();
    await t.close();
    const a = await readWh();
    const b = await readWh(); // more than an hour of simulated time later
    expect(b.wh).toBe(a.wh);
    expect(b.w).toBe(0);
    const st = await run(METERGATE_BIN, [
      'dlms',
      'read',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '70:0.0.96.3.10.255:2',
      '70:0.0.96.3.10.255:3',
    ]);
    expect(lines(st.stdout).map((l) => l.value)).toEqual([false, 0]);
    const ic2 = Number(
      lines(
        (
          await run(METERGATE_BIN, [
            'dlms',
            'read',
            '--host',
            '127.0.0.1',
            '--port',
            String(port),
            '0.0.43.1.0.255',
          ])
        ).stdout,
      )[0]!.value,
    );
    const t2 = new WrapperTransport(await connectTcp('127.0.0.1', port), 1, 1);
    const c2 = new DlmsClient(t2, {
      auth: 'high-gmac',
      keys: { ek: dlmsFromHex(EK), ak: dlmsFromHex(AK) },
      invocationCounter: ic2,
    });
    await c2.associate();
    await c2.action(dc(2), { type: 'integer', value: 0 } as DlmsData);
    await c2.release();
    await t2.close();
    const c = await readWh();
    const d = await readWh();
    expect(d.wh).toBeGreaterThan(c.wh);
  });
});
