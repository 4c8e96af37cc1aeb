import assert from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { DurablePersistence } from './durable-persistence.js';

// aedes-persistence's own abstract suite (as for IndexedMemoryPersistence), against the durable
// store on a fresh directory each time; then restarts of the store itself.
const require = createRequire(import.meta.url);
const abstractPersistence = require('aedes-persistence/abstract.js') as (opts: {
  test: (name: string, fn: (t: unknown) => Promise<void> | void) => void;
  persistence: () => unknown;
  testAsync: boolean;
}) => void;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-durable-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `s${n++}`);

describe('DurablePersistence: aedes-persistence abstract suite', () => {
  abstractPersistence({
    test: (name, fn) => it(name, () => fn({ assert, plan: () => undefined, diagnostic: () => undefined })),
    persistence: () => new DurablePersistence({ dir: freshDir() }),
    testAsync: true,
  });
});

const pkt = (i: number, extra: object = {}) =>
  ({
    cmd: 'publish',
    topic: `t/${i % 3}`,
    payload: Buffer.from(`m${i}`),
    qos: 1,
    retain: false,
    dup: false,
    brokerId: 'b1',
    brokerCounter: i,
    ...extra,
  }) as never;
const gw = { id: 'gw' } as never;

let lastBrokerId = '';
async function open(dir: string, opts: object = {}): Promise<DurablePersistence> {
  const p = new DurablePersistence({ dir, ...opts });
  lastBrokerId = `broker-${n++}`;
  await p.setup({ id: lastBrokerId, counter: 0 });
  return p;
}
async function queued(p: DurablePersistence, client = gw): Promise<string[]> {
  const out: string[] = [];
  for await (const x of p.outgoingStream(client)) out.push((x as { payload: Buffer }).payload.toString());
  return out;
}

describe('DurablePersistence across restarts', () => {
  it('keeps subscriptions, retained, wills and the queue minus what was acknowledged', async () => {
    const dir = freshDir();
    let p = await open(dir);
    await p.addSubscriptions(gw, [{ topic: 'meters/+/reading', qos: 1 }] as never);
    await p.storeRetained(pkt(0, { topic: 'x/state', retain: true, payload: Buffer.from('on') }));
    await p.putWill(gw, pkt(0, { topic: 'gw/state', payload: Buffer.from('gone') }));
    for (let i = 1; i <= 10; i++) await p.outgoingEnqueueCombi([{ clientId: 'gw' }], pkt(i));
    for (let i = 1; i <= 4; i++)
      await p.outgoingUpdate(gw, { brokerId: 'b1', brokerCounter: i, messageId: 100 + i } as never);
    await p.outgoingClearMessageId(gw, { messageId: 101 } as never);
    await p.outgoingClearMessageId(gw, { messageId: 103 } as never);
    p.bindClientId('mqttjs_1', 'gateway/gw');
    const firstBroker = lastBrokerId;
    await p.destroy();

    p = await open(dir);
    expect(await queued(p)).toEqual(['m2', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10']);
    expect(await p.subscriptionsByClient(gw)).toEqual([
      expect.objectContaining({ topic: 'meters/+/reading', qos: 1 }),
    ]);
    expect((await p.subscriptionsByTopic('meters/M/reading')).map((s) => s.clientId)).toEqual(['gw']);
    const retained: string[] = [];
    for await (const r of p.createRetainedStream('#'))
      retained.push((r as { payload: Buffer }).payload.toString());
    expect(retained).toEqual(['on']);
    // A will keeps the id of the broker it was left with, so aedes publishes it (that broker is gone).
    expect((await p.getWill(gw))?.brokerId).toBe(firstBroker);
    expect([...p.clientIdBindings()]).toEqual([['mqttjs_1', 'gateway/gw']]);
    // The message ids given before the restart still clear their packets.
    await p.outgoingClearMessageId(gw, { messageId: 102 } as never);
    expect((await queued(p))[0]).toBe('m4');
    await p.destroy();
  });

  it('survives compaction into a snapshot, and a crash between snapshot and new log', async () => {
    const dir = freshDir();
    let p = await open(dir, { compactBytes: 4096 });
    for (let i = 1; i <= 200; i++) await p.outgoingEnqueueCombi([{ clientId: 'gw' }], pkt(i));
    for (let i = 1; i <= 100; i++) {
      await p.outgoingUpdate(gw, { brokerId: 'b1', brokerCounter: i, messageId: i } as never);
      await p.outgoingClearMessageId(gw, { messageId: i } as never);
    }
    expect(fs.existsSync(path.join(dir, 'snapshot.ndjson'))).toBe(true);
    p.compact();
    await p.destroy();
    // Pretend the process died right after a snapshot rename: the log is a generation behind.
    fs.writeFileSync(path.join(dir, 'journal.ndjson'), '{"journal":1,"gen":0}\n{"t":"clean","c":"gw"}\n');
    p = await open(dir);
    const q = await queued(p);
    expect(q).toHaveLength(100);
    expect(q[0]).toBe('m101');
    await p.destroy();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'journal.ndjson')).mode & 0o777).toBe(0o600);
  });

  it('cuts a torn last line and skips a corrupt one, counting both', async () => {
    const dir = freshDir();
    let p = await open(dir);
    for (let i = 1; i <= 3; i++) await p.outgoingEnqueueCombi([{ clientId: 'gw' }], pkt(i));
    await p.destroy();
    const log = path.join(dir, 'journal.ndjson');
    const lines = fs.readFileSync(log, 'utf8').split('\n');
    lines.splice(2, 0, '{not json');
    fs.writeFileSync(log, lines.join('\n') + '{"t":"q","c":["gw"],"p":{"top');
    p = await open(dir);
    expect(p.loadStats).toMatchObject({ corruptLines: 1, records: 3 });
    expect(p.loadStats!.tornBytes).toBeGreaterThan(0);
    expect(await queued(p)).toEqual(['m1', 'm2', 'm3']);
    await p.outgoingEnqueueCombi([{ clientId: 'gw' }], pkt(4));
    await p.destroy();
    p = await open(dir);
    expect(await queued(p)).toEqual(['m1', 'm2', 'm3', 'm4']);
    await p.destroy();
  });

  it('bounds each queue, dropping the newest and reporting every drop', async () => {
    const drops: string[] = [];
    const p = await open(freshDir(), { maxQueuedPerClient: 5, onDrop: (c: string) => drops.push(c) });
    for (let i = 1; i <= 8; i++)
      await p.outgoingEnqueueCombi([{ clientId: 'gw' }, { clientId: 'other' }], pkt(i));
    expect(await queued(p)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(drops).toEqual(['gw', 'other', 'gw', 'other', 'gw', 'other']);
    await p.destroy();
  });

  it('drops retained messages the policy no longer keeps when loading', async () => {
    const dir = freshDir();
    let p = await open(dir);
    await p.storeRetained(pkt(0, { topic: 'm/reading', retain: true }));
    await p.storeRetained(pkt(0, { topic: 'm/state', retain: true }));
    await p.destroy();
    p = await open(dir, { keepRetained: (topic: string) => topic.endsWith('/state') });
    const topics: string[] = [];
    for await (const r of p.createRetainedStream('#')) topics.push((r as { topic: string }).topic);
    expect(topics).toEqual(['m/state']);
    expect(p.loadStats?.droppedRetained).toBe(1);
    await p.destroy();
  });
});
