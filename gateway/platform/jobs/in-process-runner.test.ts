import { describe, expect, it } from 'vitest';
import { describeJobRunner } from './conformance.js';
import { InProcessJobRunner } from './in-process-runner.js';

describeJobRunner('in-process', () => new InProcessJobRunner());

describe('InProcessJobRunner', () => {
  it('refuses unknown queues and late registration with stable codes', async () => {
    const r = new InProcessJobRunner();
    expect(() => r.register('nope' as never, async () => undefined)).toThrow(
      expect.objectContaining({ code: 'MG_ERR_JOBS_UNKNOWN_QUEUE' }),
    );
    await r.start();
    expect(() => r.register('estimation', async () => undefined)).toThrow(
      expect.objectContaining({ code: 'MG_ERR_JOBS_REGISTER_AFTER_START' }),
    );
    await r.stop();
  });

  it('holds jobs enqueued before start', async () => {
    const r = new InProcessJobRunner();
    const seen: unknown[] = [];
    r.register('estimation', async (d) => {
      seen.push(d);
    });
    await r.enqueue('estimation', 1);
    await new Promise((res) => setTimeout(res, 50));
    expect(seen).toEqual([]);
    await r.start();
    await new Promise((res) => setTimeout(res, 50));
    expect(seen).toEqual([1]);
    await r.stop();
  });
});
