import { backoffDelay } from '../backoff.js';
import type { MeterReader, PollResult } from './meter-reader.js';
import { Semaphore } from './semaphore.js';

export interface ScheduledMeter {
  readonly id: string;
  readonly intervalMs: number;
  readonly reader: MeterReader;
}

export interface SchedulerOptions {
  meters: readonly ScheduledMeter[];
  /** Polls running at once across the edge (TCP meters poll concurrently up to this cap; serial
   * lines are additionally serialised request by request by their transport's line queue). */
  maxConcurrentPolls?: number;
  onResult: (meter: ScheduledMeter, result: PollResult, ts: string) => void;
  /** Stagger first polls across the interval so a fleet does not fire at once (default true). */
  stagger?: boolean;
  /**
   * How long stop() waits for polls in progress (default 2 s). A readout on a slow serial line can
   * take longer than a whole clean stop may (IEC 62056-21 at 300 baud): past this, the poll is
   * abandoned and its result dropped — the next start reads the meter again.
   */
  drainMs?: number;
}

interface Slot {
  meter: ScheduledMeter;
  timer: NodeJS.Timeout | null;
  nextDue: number;
  failures: number;
}

/**
 * Fixed-rate polling per meter: each meter is due every `intervalMs` from its first poll; an overrun
 * skips the missed slots instead of bursting. After consecutive failures the delay grows
 * exponentially (with jitter, up to 5 minutes) so a dead meter does not hog its bus.
 */
export class PollScheduler {
  private readonly opts: SchedulerOptions;
  private readonly slots: Slot[] = [];
  private readonly running = new Set<Promise<void>>();
  private sem: Semaphore | null = null;
  private stopped = true;
  private abandoned = false;

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.abandoned = false;
    this.sem = new Semaphore(this.opts.maxConcurrentPolls ?? 256);
    const now = Date.now();
    const n = this.opts.meters.length;
    this.opts.meters.forEach((meter, i) => {
      const offset = this.opts.stagger === false ? 0 : Math.floor((meter.intervalMs * i) / Math.max(1, n));
      const slot: Slot = { meter, timer: null, nextDue: now + offset, failures: 0 };
      this.slots.push(slot);
      this.arm(slot, offset);
    });
  }

  /**
   * Stops scheduling and waits (up to `drainMs`) for polls in progress, so their readings still
   * reach the outbox; a poll still running after that is abandoned.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.slots) if (s.timer) clearTimeout(s.timer);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.opts.drainMs ?? 2_000);
    });
    await Promise.race([Promise.allSettled([...this.running]), bound]);
    clearTimeout(timer);
    this.abandoned = true;
  }

  private arm(slot: Slot, delay: number): void {
    if (this.stopped) return;
    slot.timer = setTimeout(
      () => {
        const p = this.pollOnce(slot).finally(() => this.running.delete(p));
        this.running.add(p);
      },
      Math.max(0, delay),
    );
  }

  private async pollOnce(slot: Slot): Promise<void> {
    const sem = this.sem!;
    await sem.acquire();
    if (this.stopped) {
      sem.release(); // queued behind the cap when stop() came: never started
      return;
    }
    let result: PollResult;
    try {
      result = await slot.meter.reader.poll();
    } catch (err) {
      result = { ok: false, reason: `driver error: ${(err as Error).message}` };
    } finally {
      sem.release();
    }
    if (this.abandoned || (this.stopped && !result.ok)) return;
    this.opts.onResult(slot.meter, result, new Date().toISOString());
    slot.failures = result.ok ? 0 : slot.failures + 1;
    const now = Date.now();
    const interval = slot.meter.intervalMs;
    if (slot.failures > 0) {
      const wait = Math.max(
        interval,
        backoffDelay(slot.failures - 1, {
          baseMs: interval,
          maxMs: Math.max(interval, 300_000),
          jitter: 0.3,
        }),
      );
      slot.nextDue = now + wait;
    } else {
      slot.nextDue += interval;
      if (slot.nextDue < now) slot.nextDue = now + (interval - ((now - slot.nextDue) % interval));
    }
    this.arm(slot, slot.nextDue - now);
  }
}
