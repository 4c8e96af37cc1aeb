import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileOutbox } from './file-outbox.js';
import { outboxConformance } from './outbox-conformance.js';

outboxConformance('FileOutbox', (o) => new FileOutbox(o));

describe('FileOutbox on disk', () => {
  it('survives a torn last line (crash mid-write): earlier entries load, the torn one is reported', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-outbox-'));
    try {
      const drops: string[] = [];
      const a = new FileOutbox({ dir, maxBytes: 1 << 20, maxAgeHours: 24, onDrop: (_n, r) => drops.push(r) });
      await a.start();
      a.append('t', { seq: 1 });
      a.append('t', { seq: 2 });
      await a.stop();
      const seg = fs.readdirSync(dir).find((f) => f.startsWith('seg-'))!;
      fs.appendFileSync(path.join(dir, seg), '{"id":3,"ts":1,"topic":"t","bo');
      const b = new FileOutbox({ dir, maxBytes: 1 << 20, maxAgeHours: 24, onDrop: (_n, r) => drops.push(r) });
      await b.start();
      expect(b.pending(10).map((e) => e.body.seq)).toEqual([1, 2]);
      expect(drops).toEqual(['corrupt']);
      await b.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deletes fully acknowledged segments and compacts the ack log', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-outbox-'));
    try {
      const ob = new FileOutbox({ dir, maxBytes: 1 << 20, maxAgeHours: 24, segmentBytes: 4096 });
      await ob.start();
      for (let i = 0; i < 1000; i++) ob.append('t', { seq: i });
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBeGreaterThan(5);
      for (const e of ob.pending(1000)) ob.ack(e.id);
      await ob.stop();
      const again = new FileOutbox({ dir, maxBytes: 1 << 20, maxAgeHours: 24 });
      await again.start();
      expect(again.stats().depth).toBe(0);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith('seg-')).length).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'acks.log'), 'utf8')).toBe('');
      await again.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
