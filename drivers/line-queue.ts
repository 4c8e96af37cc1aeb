import { DriverError } from './errors.js';

export interface LineQueueOptions {
  /** Tasks waiting (not counting the running one) before `run` rejects; bounds memory on a stuck line. */
  maxPending?: number;
  /** Silence enforced between the end of one task and the start of the next (RTU t3.5). */
  gapMs?: number;
}

/**
 * Runs tasks strictly one after another. Modbus RTU is half-duplex with a single master: one request
 * outstanding per serial line (Modbus over serial line V1.02 §2.2). modbus-serial has no such queue
 * (two concurrent requests on one port both fail), so this one is hand-written; it also enforces the
 * inter-frame silence before the next request.
 */
export class LineQueue {
  private readonly maxPending: number;
  private readonly gapMs: number;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private running = 0;
  private maxObservedConcurrency = 0;
  private lastEnd = 0;

  constructor(opts: LineQueueOptions = {}) {
    this.maxPending = opts.maxPending ?? 1000;
    this.gapMs = opts.gapMs ?? 0;
  }

  get depth(): number {
    return this.pending;
  }

  /** Highest number of tasks ever seen running at once (1 unless the queue is broken). */
  get peakConcurrency(): number {
    return this.maxObservedConcurrency;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.pending >= this.maxPending) {
      return Promise.reject(new DriverError('MG_ERR_DRIVER_QUEUE_FULL', `${this.pending} tasks waiting`));
    }
    this.pending++;
    const result = this.tail.then(async () => {
      this.pending--;
      const wait = this.lastEnd + this.gapMs - performance.now();
      if (wait > 0) await sleepPrecise(wait);
      this.running++;
      this.maxObservedConcurrency = Math.max(this.maxObservedConcurrency, this.running);
      try {
        return await task();
      } finally {
        this.running--;
        this.lastEnd = performance.now();
      }
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** setTimeout has ~1 ms granularity; the last fraction is spun off with setImmediate. */
export async function sleepPrecise(ms: number): Promise<void> {
  const end = performance.now() + ms;
  if (ms > 2) await new Promise((r) => setTimeout(r, Math.floor(ms - 1.5)));
  while (performance.now() < end) await new Promise((r) => setImmediate(r));
}
