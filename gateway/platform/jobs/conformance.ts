import { afterEach, describe, expect, it } from 'vitest';
import type { JobEvent, JobRunner } from './job-runner.js';

/**
 * What every JobRunner does, run by each implementation's test (in-process in the unit tier, BullMQ
 * against a real Redis in the integration tier). `create` returns a fresh, not yet started runner.
 */
export function describeJobRunner(
  name: string,
  create: () => JobRunner,
  cleanup?: (r: JobRunner) => Promise<void>,
): void {
  describe(`JobRunner conformance: ${name}`, () => {
    let runner: JobRunner | undefined;
    afterEach(async () => {
      if (!runner) return;
      await runner.stop();
      await cleanup?.(runner);
      runner = undefined;
    });

    function collect(r: JobRunner): JobEvent[] {
      const events: JobEvent[] = [];
      r.onEvent((e) => events.push(e));
      return events;
    }

    async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
      const end = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    it('runs the registered handler with the payload and reports the result', async () => {
      runner = create();
      const seen: unknown[] = [];
      runner.register('estimation', async (data, ctx) => {
        seen.push({ data, queue: ctx.queue, attempt: ctx.attempt });
        return { ok: true };
      });
      const events = collect(runner);
      await runner.start();
      const id = await runner.enqueue('estimation', { meterId: 'M1' });
      await until(() => events.length > 0, 'completion');
      expect(seen).toEqual([{ data: { meterId: 'M1' }, queue: 'estimation', attempt: 1 }]);
      expect(events[0]).toMatchObject({ queue: 'estimation', id, status: 'completed', result: { ok: true } });
    });

    it('retries a failing job with backoff until it succeeds', async () => {
      runner = create();
      const attempts: number[] = [];
      runner.register('notifications', async (_data, ctx) => {
        attempts.push(ctx.attempt);
        if (ctx.attempt < 3) throw new Error(`receiver down (${ctx.attempt})`);
        return 'delivered';
      });
      const events = collect(runner);
      await runner.start();
      const t0 = Date.now();
      await runner.enqueue('notifications', { n: 1 }, { attempts: 5, backoffMs: 100 });
      await until(() => events.some((e) => e.status === 'completed'), 'success after retries');
      expect(attempts).toEqual([1, 2, 3]);
      expect(events.map((e) => e.status)).toEqual(['retrying', 'retrying', 'completed']);
      expect(events[0]!.error).toBe('receiver down (1)');
      // Exponential backoff: 100 ms then 200 ms at least.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    });

    it('gives up after the configured attempts', async () => {
      runner = create();
      let calls = 0;
      runner.register('low-credit-check', async () => {
        calls++;
        throw new Error('always');
      });
      const events = collect(runner);
      await runner.start();
      await runner.enqueue('low-credit-check', {}, { attempts: 2, backoffMs: 20 });
      await until(() => events.some((e) => e.status === 'failed'), 'final failure');
      expect(calls).toBe(2);
      expect(events.at(-1)).toMatchObject({ status: 'failed', attempt: 2, error: 'always' });
    });

    it('deduplicates by job id', async () => {
      runner = create();
      let calls = 0;
      runner.register('notifications', async () => {
        calls++;
      });
      const events = collect(runner);
      await runner.start();
      const a = await runner.enqueue('notifications', { x: 1 }, { jobId: 'notif-42' });
      const b = await runner.enqueue('notifications', { x: 1 }, { jobId: 'notif-42' });
      expect(a).toBe(b);
      await until(() => events.length >= 1, 'first run');
      await runner.enqueue('notifications', { x: 1 }, { jobId: 'notif-42' });
      await runner.enqueue('notifications', { x: 2 }, { jobId: 'notif-43' });
      await until(() => events.length >= 2, 'second job');
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toBe(2);
    });

    it('runs a repeatable job until it is unscheduled', async () => {
      runner = create();
      let runs = 0;
      runner.register('anomaly-scan', async (data) => {
        expect(data).toEqual({ obis: '1-0:1.8.0' });
        runs++;
      });
      await runner.start();
      await runner.schedule('anomaly-scan', 'nightly', { everyMs: 150, data: { obis: '1-0:1.8.0' } });
      await until(() => runs >= 2, 'two repeats');
      await runner.unschedule('anomaly-scan', 'nightly');
      await new Promise((r) => setTimeout(r, 400)); // a run already queued may still finish
      const after = runs;
      await new Promise((r) => setTimeout(r, 500));
      expect(runs).toBe(after);
    });

    it('accepts jobs for a queue with no handler here (another process works it)', async () => {
      runner = create();
      await runner.start();
      expect(typeof (await runner.enqueue('low-credit-check', { meterId: 'M9' }))).toBe('string');
    });
  });
}
