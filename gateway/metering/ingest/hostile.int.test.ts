import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { TopicScheme } from '../../../protocol/index.js';
import { SERVICES, requireMosquitto } from '../../../test/support/services.js';
import { Gateway } from '../../gateway.js';
import { makeReading } from './conformance.js';

/** mulberry32: a small seeded PRNG so a failing payload can be reproduced from the seed. */
function prng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mutation = (r: Record<string, unknown>, rnd: () => number) => unknown;
// Each mutation makes a valid reading certainly invalid in one way.
const MUTATIONS: Mutation[] = [
  (r) => ({ ...r, v: 2 }),
  (r) => ({ ...r, meter: 'someone-else' }),
  (r) => ({ ...r, meter: 'a/b' }),
  (r) => ({ ...r, ts: '2026-13-45T99:00:00Z' }),
  (r) => ({ ...r, ts: 'yesterday' }),
  (r) => ({ ...r, values: {} }),
  (r) => ({ ...r, values: { '9-9:9.9.9': 1 } }),
  (r) => ({ ...r, values: { '0-0:96.1.0': 1 } }),
  (r) => ({ ...r, values: { '1-0:1.8.0': '12' } }),
  (r) => ({ ...r, values: { '1-0:1.8.0': 1e16 } }),
  (r) => ({ ...r, values: { '1-0:1.8.0': null } }),
  (r) => ({ ...r, extra: true }),
  (r) => ({ ...r, seq: -1 }),
  (r) => ({ ...r, seq: 1.5 }),
  (r) => ({ ...r, quality: 'great' }),
  (r) => ({ ...r, historical: 'yes' }),
  (r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'seq')),
  (r) => [r],
  (r, rnd) => JSON.stringify(r).slice(0, Math.floor(rnd() * 40)),
  (_r, rnd) => Math.floor(rnd() * 1e6),
  (_r, rnd) => Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256))),
  () => '',
  () => 'null',
  () => `{"v":1,"meter":"${'x'.repeat(70_000)}"}`,
];

describe('hostile input', () => {
  it('rejects 10,000 random and malformed payloads into the bounded dead-letter table while good traffic flows', async () => {
    await requireMosquitto();
    const run = randomBytes(3).toString('hex');
    const topics = new TopicScheme(`mghostile-${run}/v1`);
    const clientId = `gw-hostile-${run}`;
    const gw = new Gateway({
      mqtt: { url: SERVICES.mqtt, prefix: topics.prefix, clientId },
      http: false,
      ingest: { deadLetterRows: 2000 },
    });
    const pub = await mqtt.connectAsync(SERVICES.mqtt, { clientId: `pub-hostile-${run}`, clean: true });
    try {
      await gw.start();
      const rnd = prng(0x5eed);
      const target = `h-${run}`;
      const good = ['g0', 'g1', 'g2'].map((g) => `${g}-${run}`);
      const t0 = Date.UTC(2026, 10, 10);
      const HOSTILE = 10_000;
      let goodSent = 0;
      for (let chunk = 0; chunk < HOSTILE / 500; chunk++) {
        const sends: Promise<unknown>[] = [];
        for (let i = 0; i < 500; i++) {
          const n = chunk * 500 + i;
          const base = JSON.parse(makeReading(target, n, new Date(t0 + n * 1000))) as Record<string, unknown>;
          const mutated = MUTATIONS[Math.floor(rnd() * MUTATIONS.length)]!(base, rnd);
          const payload = Buffer.isBuffer(mutated)
            ? mutated
            : typeof mutated === 'string'
              ? mutated
              : JSON.stringify(mutated);
          sends.push(pub.publishAsync(topics.reading(target), payload, { qos: 1 }));
        }
        for (const g of good) {
          sends.push(
            pub.publishAsync(topics.reading(g), makeReading(g, chunk, new Date(t0 + chunk * 60_000)), {
              qos: 1,
            }),
          );
          goodSent++;
        }
        await Promise.all(sends);
      }
      const deadline = Date.now() + 120_000;
      while (gw.ingest!.snapshot().deadLettered < HOSTILE || (await gw.store!.count()) < goodSent) {
        if (Date.now() > deadline) throw new Error(`stuck at ${JSON.stringify(gw.ingest!.snapshot())}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      // every message, good or bad, ends acknowledged (durable as a reading or as a dead letter)
      while (gw.bus!.unacknowledged > 0) {
        if (Date.now() > deadline) throw new Error(`${gw.bus!.unacknowledged} never acknowledged`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const stats = gw.ingest!.snapshot();
      expect(stats.deadLettered).toBe(HOSTILE);
      expect(stats.received).toBe(HOSTILE + goodSent);
      const counted = (await gw.metrics.deadLetters.get()).values.reduce((a, v) => a + v.value, 0);
      expect(counted).toBe(HOSTILE);
      expect(await gw.store!.count({ meterId: target })).toBe(0);
      for (const g of good) expect(await gw.store!.count({ meterId: g })).toBe(goodSent / good.length);
      const rows = await gw.deadLetters!.count();
      expect(rows).toBeGreaterThan(0);
      expect(rows).toBeLessThanOrEqual(2000 + 500); // pruned in steps of maxRows/10 (at most one batch over)
      const recent = await gw.deadLetters!.recent(5);
      expect(recent.every((r) => r.code.startsWith('MG_ERR_') && r.reason.length > 0)).toBe(true);
      // still up and still ingesting
      expect((await gw.health()).status).toBe('ok');
      await pub.publishAsync(
        topics.reading(good[0]!),
        makeReading(good[0]!, 999, new Date(t0 + 999 * 60_000)),
        { qos: 1 },
      );
      const want = goodSent / good.length + 1;
      const end = Date.now() + 30_000;
      while ((await gw.store!.count({ meterId: good[0]! })) < want && Date.now() < end)
        await new Promise((r) => setTimeout(r, 100));
      expect(await gw.store!.count({ meterId: good[0]! })).toBe(want);
    } finally {
      await pub.endAsync();
      await gw.stop();
      const cleaner = await mqtt.connectAsync(SERVICES.mqtt, { clientId, clean: true });
      await cleaner.endAsync();
    }
  });
});
