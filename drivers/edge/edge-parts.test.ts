import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig, validateEdgeConfig } from './config.js';
import { MeterHealth } from './health.js';
import type { PollResult } from './meter-reader.js';
import { PollScheduler } from './scheduler.js';
import { SEQ_BLOCK, SeqStore } from './seq-store.js';

const base = {
  edgeId: 'edge-1',
  meters: [
    {
      id: 'm1',
      model: 'sdm630',
      transport: { type: 'tcp', host: '127.0.0.1', port: 502, unitId: 1 },
      interval: 5,
    },
  ],
  broker: { url: 'mqtt://127.0.0.1:1883' },
  outbox: { dir: '/tmp/x' },
};

describe('edge config validation', () => {
  it('accepts a valid config', () => {
    expect(validateEdgeConfig(base)).toMatchObject({ ok: true });
  });
  it.each([
    [{ ...base, edgeId: 'a/b' }, /^edgeId: /],
    [
      { ...base, meters: [{ ...base.meters[0], transport: { type: 'tcp', host: 'h', port: 70000 } }] },
      /^meters\[0\]\.transport\.port: /,
    ],
    [
      { ...base, meters: [{ ...base.meters[0], transport: { type: 'rtu', path: '/dev/x', unitId: 300 } }] },
      /^meters\[0\]\.transport\.unitId: /,
    ],
    [
      { ...base, meters: [{ ...base.meters[0], transport: { type: 'can' } }] },
      /^meters\[0\]\.transport\.type: must be one of tcp, rtu, iec, dlms, ascii$/,
    ],
    [
      { ...base, meters: [{ ...base.meters[0], model: 'nope' }] },
      /^meters\[0\]\.model: unknown model "nope"/,
    ],
    [{ ...base, meters: [base.meters[0], base.meters[0]] }, /^meters\[1\]\.id: duplicate meter id m1/],
    [{ ...base, broker: { url: 'http://x' } }, /^broker\.url: /],
    [{ ...base, outbox: {} }, /^outbox\.dir: /],
    [{ ...base, extra: 1 }, /extra|\(root\)/],
    [{ ...base, meters: [{ ...base.meters[0], interval: 0 }] }, /^meters\[0\]\.interval: /],
  ])('names the bad key (%#)', (doc, re) => {
    const r = validateEdgeConfig(doc);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.some((e) => re.test(e))).toBe(true);
  });
  it('accepts Modbus ASCII on a serial line and ASCII frames over TCP', () => {
    const ascii = {
      id: 'a1',
      model: 'sdm630',
      transport: { type: 'ascii', path: '/dev/ttyS1', baud: 9600, parity: 'even', unitId: 2 },
      interval: 5,
    };
    const tcp = { ...base.meters[0]!, id: 't1', transport: { type: 'tcp', host: 'h', framing: 'ascii' } };
    expect(validateEdgeConfig({ ...base, meters: [ascii, tcp] })).toMatchObject({ ok: true });
    const bad = { ...ascii, transport: { ...ascii.transport, unitId: 0 } };
    expect(validateEdgeConfig({ ...base, meters: [bad] })).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^meters\[0\]\.transport\.unitId: /)],
    });
    const framing = { ...tcp, transport: { ...tcp.transport, framing: 'hex' } };
    expect(validateEdgeConfig({ ...base, meters: [framing] })).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^meters\[0\]\.transport\.framing: /)],
    });
  });
  it('refuses RTU and ASCII meters on one serial line', () => {
    const meter = (id: string, type: string) => ({
      id,
      model: 'sdm630',
      transport: { type, path: '/dev/ttyS0', unitId: 1 },
      interval: 5,
    });
    expect(validateEdgeConfig({ ...base, meters: [meter('a', 'rtu'), meter('b', 'ascii')] })).toMatchObject({
      ok: false,
      errors: ['meters[1].transport.type: line /dev/ttyS0 is already configured as rtu 9600/even'],
    });
  });
  it('refuses two baud rates on one serial line', () => {
    const rtu = (id: string, baud: number) => ({
      id,
      model: 'sdm630',
      transport: { type: 'rtu', path: '/dev/ttyS0', baud, unitId: 1 },
      interval: 5,
    });
    const r = validateEdgeConfig({ ...base, meters: [rtu('a', 9600), rtu('b', 19200)] });
    expect(r).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^meters\[1\]\.transport\.baud: line \/dev\/ttyS0/)],
    });
  });
});

describe('SeqStore', () => {
  it('continues without a gap after a clean stop and never reuses a seq after a crash', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-seq-'));
    try {
      const a = new SeqStore({ dir });
      await a.start(['m1']);
      expect([a.take('m1'), a.take('m1'), a.take('m1')]).toEqual([0, 1, 2]);
      await a.stop();
      const b = new SeqStore({ dir });
      await b.start(['m1']);
      expect(b.take('m1')).toBe(3);
      // crash: no stop(); the reservation written at start is ahead of every issued seq
      const c = new SeqStore({ dir });
      await c.start(['m1']);
      expect(c.take('m1')).toBe(3 + SEQ_BLOCK);
      for (let i = 0; i < SEQ_BLOCK + 5; i++) c.take('m1'); // crosses a reservation
      const d = new SeqStore({ dir });
      await d.start();
      expect(d.take('m1')).toBeGreaterThan(3 + 2 * SEQ_BLOCK + 4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MeterHealth', () => {
  it('publishes transitions and failures, not every success', () => {
    const h = new MeterHealth('m1');
    expect(h.success('2026-01-01T00:00:00Z')).toMatchObject({
      online: true,
      consecutiveFailures: 0,
      lastSuccess: '2026-01-01T00:00:00Z',
    });
    expect(h.success('2026-01-01T00:00:05Z')).toBeNull();
    expect(h.failure('2026-01-01T00:00:10Z', 'timeout')).toMatchObject({
      online: false,
      consecutiveFailures: 1,
      error: 'timeout',
      lastSuccess: '2026-01-01T00:00:05Z',
    });
    expect(h.failure('2026-01-01T00:00:15Z', 'timeout')).toMatchObject({ consecutiveFailures: 2 });
    expect(h.success('2026-01-01T00:00:20Z')).toMatchObject({ online: true, consecutiveFailures: 0 });
  });
});

describe('PollScheduler', () => {
  it('polls each meter at its interval and backs off a failing one', async () => {
    const counts = { good: 0, bad: 0 };
    const s = new PollScheduler({
      stagger: false,
      meters: [
        {
          id: 'good',
          intervalMs: 20,
          reader: {
            source: 'modbus-tcp',
            poll: async (): Promise<PollResult> => ({ ok: true, values: { x: 1 } }),
          },
        },
        {
          id: 'bad',
          intervalMs: 20,
          reader: {
            source: 'modbus-tcp',
            poll: async (): Promise<PollResult> => ({ ok: false, reason: 'down' }),
          },
        },
      ],
      onResult: (m) => counts[m.id as 'good' | 'bad']++,
    });
    await s.start();
    await new Promise((r) => setTimeout(r, 400));
    await s.stop();
    const after = { ...counts };
    await new Promise((r) => setTimeout(r, 60));
    expect(counts).toEqual(after); // nothing after stop()
    expect(counts.good).toBeGreaterThan(5);
    // 20, 40, 80, 160 ms… (±30 % jitter): far fewer attempts than the healthy meter.
    expect(counts.bad).toBeLessThan(counts.good / 2);
    expect(counts.bad).toBeGreaterThanOrEqual(2);
  });

  it('turns a throwing reader into a failed poll instead of crashing', async () => {
    const results: PollResult[] = [];
    const s = new PollScheduler({
      stagger: false,
      meters: [
        {
          id: 'x',
          intervalMs: 1000,
          reader: { source: 'modbus-rtu', poll: () => Promise.reject(new Error('boom')) },
        },
      ],
      onResult: (_m, r) => results.push(r),
    });
    await s.start();
    await new Promise((r) => setTimeout(r, 30));
    await s.stop();
    expect(results[0]).toEqual({ ok: false, reason: 'driver error: boom' });
  });

  it('waits for a poll in progress up to drainMs on stop, then abandons it and drops its result', async () => {
    const results: string[] = [];
    let finishSlow!: () => void;
    const s = new PollScheduler({
      stagger: false,
      drainMs: 50,
      meters: [
        {
          id: 'quick',
          intervalMs: 60_000,
          reader: { source: 'modbus-tcp', poll: async () => ({ ok: true, values: { '1-0:1.8.0': 1 } }) },
        },
        {
          id: 'slow-serial',
          intervalMs: 60_000,
          reader: {
            source: 'iec62056-21',
            poll: () =>
              new Promise((resolve) => {
                finishSlow = () => resolve({ ok: true, values: { '1-0:1.8.0': 2 } });
              }),
          },
        },
      ],
      onResult: (m) => results.push(m.id),
    });
    await s.start();
    await new Promise((r) => setTimeout(r, 20));
    // The slow readout is still running: stop returns after drainMs (it used to wait for it forever).
    await s.stop();
    finishSlow();
    await new Promise((r) => setTimeout(r, 10));
    expect(results).toEqual(['quick']);
  });
});

describe('drivers/edge.example.yaml', () => {
  it('is a valid edge config', () => {
    const cfg = loadEdgeConfig(new URL('../edge.example.yaml', import.meta.url).pathname);
    expect(cfg.meters.map((m) => m.transport.type)).toEqual([
      'tcp',
      'rtu',
      'rtu',
      'ascii',
      'tcp',
      'iec',
      'dlms',
    ]);
  });
});
