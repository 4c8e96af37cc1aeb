import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DropReason, Outbox } from './outbox.js';

export interface OutboxFactoryOptions {
  dir: string;
  maxBytes: number;
  maxAgeHours: number;
  now: () => number;
  onDrop: (n: number, reason: DropReason) => void;
}

/**
 * The contract every Outbox backend must meet (STYLE.md §3). `factory` builds an outbox over `dir`;
 * building a second one on the same dir is a process restart.
 */
export function outboxConformance(name: string, factory: (o: OutboxFactoryOptions) => Outbox): void {
  describe(`Outbox conformance: ${name}`, () => {
    const dirs: string[] = [];
    afterEach(() => {
      for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    });
    function setup(over: Partial<OutboxFactoryOptions> = {}) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-outbox-'));
      dirs.push(dir);
      const drops: Array<[number, DropReason]> = [];
      let clock = 1_700_000_000_000;
      const opts: OutboxFactoryOptions = {
        dir,
        maxBytes: 1 << 20,
        maxAgeHours: 1,
        now: () => clock,
        onDrop: (n, r) => drops.push([n, r]),
        ...over,
      };
      return { opts, drops, tick: (ms: number) => (clock += ms), make: () => factory(opts) };
    }
    const body = (i: number) => ({ v: 1, meter: 'm1', seq: i, values: { '1-0:1.8.0': i } });

    it('hands entries out oldest first and forgets them only on ack', async () => {
      const { make } = setup();
      const ob = make();
      await ob.start();
      const ids = [0, 1, 2].map((i) => ob.append('t/reading', body(i)).id);
      expect(ob.pending(10).map((e) => e.id)).toEqual(ids);
      expect(ob.pending(10, new Set([ids[0]!])).map((e) => e.id)).toEqual(ids.slice(1));
      ob.ack(ids[1]!);
      ob.ack(ids[1]!); // a duplicate PUBACK is harmless
      expect(ob.pending(10).map((e) => e.body.seq)).toEqual([0, 2]);
      expect(ob.stats().depth).toBe(2);
      await ob.stop();
    });

    it('keeps unacknowledged entries across a restart, marked recovered, in order', async () => {
      const { make } = setup();
      const a = make();
      await a.start();
      for (let i = 0; i < 50; i++) a.append('t/reading', body(i));
      for (const e of a.pending(20)) a.ack(e.id);
      await a.stop();
      const b = make();
      await b.start();
      const left = b.pending(100);
      expect(left.map((e) => e.body.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 20));
      expect(left.every((e) => e.recovered)).toBe(true);
      const next = b.append('t/reading', body(99));
      expect(next.id).toBeGreaterThan(left[left.length - 1]!.id);
      expect(next.recovered).toBe(false);
      await b.stop();
    });

    it('drops the oldest entries beyond maxBytes and reports them', async () => {
      const { make, drops } = setup({ maxBytes: 64 * 1024 });
      const ob = make();
      await ob.start();
      for (let i = 0; i < 5000; i++) ob.append('t/reading', body(i));
      const s = ob.stats();
      expect(s.bytes).toBeLessThanOrEqual(64 * 1024);
      expect(s.dropped).toBeGreaterThan(0);
      expect(s.depth + s.dropped).toBe(5000);
      expect(drops.reduce((a, [n]) => a + n, 0)).toBe(s.dropped);
      expect(drops.every(([, r]) => r === 'max-bytes')).toBe(true);
      // What is left is the newest, still contiguous.
      const seqs = ob.pending(10_000).map((e) => e.body.seq as number);
      expect(seqs[seqs.length - 1]).toBe(4999);
      expect(seqs[seqs.length - 1]! - seqs[0]! + 1).toBe(seqs.length);
      await ob.stop();
    });

    it('drops entries older than maxAgeHours at start and reports them', async () => {
      const { make, drops, tick } = setup({ maxAgeHours: 1 });
      const a = make();
      await a.start();
      a.append('t/reading', body(0));
      tick(2 * 3_600_000);
      a.append('t/reading', body(1));
      await a.stop();
      const b = make();
      await b.start();
      expect(b.pending(10).map((e) => e.body.seq)).toEqual([1]);
      expect(drops).toEqual([[1, 'max-age']]);
      expect(b.stats().dropped).toBe(1);
      await b.stop();
    });
  });
}
