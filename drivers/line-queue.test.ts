import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';
import { LineQueue } from './line-queue.js';

describe('LineQueue', () => {
  it('runs one task at a time, in order, even when callers fire concurrently', async () => {
    const q = new LineQueue();
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        q.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 2));
          order.push(i);
          running--;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(1);
    expect(q.peakConcurrency).toBe(1);
  });
  it('keeps going after a task fails', async () => {
    const q = new LineQueue();
    await expect(q.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(q.run(async () => 42)).resolves.toBe(42);
  });
  it('rejects with MG_ERR_DRIVER_QUEUE_FULL beyond maxPending', async () => {
    const q = new LineQueue({ maxPending: 2 });
    let release!: () => void;
    const blocker = new Promise<void>((r) => (release = r));
    const a = q.run(() => blocker);
    await new Promise((r) => setImmediate(r)); // a is running now, no longer waiting
    const b = q.run(async () => 1);
    const c = q.run(async () => 2);
    await expect(q.run(async () => 3)).rejects.toMatchObject({ code: 'MG_ERR_DRIVER_QUEUE_FULL' });
    expect(q.depth).toBe(2);
    release();
    await expect(Promise.all([a, b, c])).resolves.toEqual([undefined, 1, 2]);
  });
  it('leaves at least gapMs between the end of one task and the start of the next', async () => {
    const q = new LineQueue({ gapMs: 5 });
    let end = 0;
    let start = 0;
    await q.run(async () => {
      end = performance.now();
    });
    await q.run(async () => {
      start = performance.now();
    });
    expect(start - end).toBeGreaterThanOrEqual(5);
  });
});

describe('backoffDelay', () => {
  it('doubles per attempt up to the cap', () => {
    const opts = { baseMs: 100, maxMs: 1000, jitter: 0 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('draws the jittered part at random within [exp·(1-j), exp]', () => {
    expect(backoffDelay(2, { baseMs: 100, maxMs: 10_000, jitter: 0.5, random: () => 0 })).toBe(200);
    expect(backoffDelay(2, { baseMs: 100, maxMs: 10_000, jitter: 0.5, random: () => 1 })).toBe(400);
    expect(backoffDelay(2, { baseMs: 100, maxMs: 10_000, jitter: 1, random: () => 0 })).toBe(0);
  });
});
