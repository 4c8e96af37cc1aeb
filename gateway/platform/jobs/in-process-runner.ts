import { randomUUID } from 'node:crypto';
import { JobsError } from './errors.js';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  isQueueName,
  type EnqueueOptions,
  type JobEvent,
  type JobHandler,
  type JobRunner,
  type QueueName,
  type ScheduleOptions,
} from './job-runner.js';

interface Job {
  id: string;
  queue: QueueName;
  data: unknown;
  attempts: number;
  backoffMs: number;
  attempt: number;
}

export interface InProcessJobRunnerOptions {
  /** How long a finished job id keeps deduplicating (default 24 h, like the BullMQ retention). */
  dedupRetentionMs?: number;
}

/** The same handlers in this process: timers for delays, retries and repeats; nothing survives a restart. */
export class InProcessJobRunner implements JobRunner {
  readonly kind = 'in-process' as const;
  private readonly options: InProcessJobRunnerOptions;
  private readonly handlers = new Map<QueueName, { handler: JobHandler; concurrency: number }>();
  private readonly ready = new Map<QueueName, Job[]>();
  private readonly running = new Map<QueueName, number>();
  private readonly known = new Map<string, number>(); // queue:id → expiry (0 while pending)
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly schedules = new Map<string, NodeJS.Timeout>();
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private readonly active = new Set<Promise<void>>();
  private started = false;
  private stopping = false;

  constructor(options: InProcessJobRunnerOptions = {}) {
    this.options = options;
  }

  register(queue: QueueName, handler: JobHandler, options: { concurrency?: number } = {}): void {
    if (!isQueueName(queue)) throw new JobsError('MG_ERR_JOBS_UNKNOWN_QUEUE', String(queue));
    if (this.started) throw new JobsError('MG_ERR_JOBS_REGISTER_AFTER_START', queue);
    this.handlers.set(queue, { handler, concurrency: Math.max(1, options.concurrency ?? 1) });
  }

  async start(): Promise<void> {
    this.started = true;
    this.stopping = false;
    for (const q of this.ready.keys()) this.pump(q);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const t of this.schedules.values()) clearInterval(t);
    this.schedules.clear();
    await Promise.allSettled([...this.active]);
    this.started = false;
  }

  async enqueue(queue: QueueName, data: unknown, options: EnqueueOptions = {}): Promise<string> {
    if (!isQueueName(queue)) throw new JobsError('MG_ERR_JOBS_UNKNOWN_QUEUE', String(queue));
    const id = options.jobId ?? randomUUID();
    const key = `${queue}:${id}`;
    const expiry = this.known.get(key);
    if (expiry !== undefined && (expiry === 0 || expiry > Date.now())) return id;
    this.known.set(key, 0);
    const job: Job = {
      id,
      queue,
      data,
      attempts: Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS),
      backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
      attempt: 1,
    };
    this.later(options.delayMs ?? 0, () => this.push(job));
    return id;
  }

  async schedule(queue: QueueName, scheduleId: string, options: ScheduleOptions): Promise<void> {
    await this.unschedule(queue, scheduleId);
    const fire = () => {
      const slot = Math.floor(Date.now() / options.everyMs);
      void this.enqueue(queue, options.data ?? {}, {
        jobId: `repeat:${scheduleId}:${slot}`,
        ...(options.attempts !== undefined ? { attempts: options.attempts } : {}),
        ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
      });
    };
    fire();
    const t = setInterval(fire, options.everyMs);
    t.unref();
    this.schedules.set(`${queue}:${scheduleId}`, t);
  }

  async unschedule(queue: QueueName, scheduleId: string): Promise<void> {
    const t = this.schedules.get(`${queue}:${scheduleId}`);
    if (t) clearInterval(t);
    this.schedules.delete(`${queue}:${scheduleId}`);
  }

  onEvent(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private push(job: Job): void {
    if (this.stopping) return;
    const list = this.ready.get(job.queue) ?? [];
    list.push(job);
    this.ready.set(job.queue, list);
    if (this.started) this.pump(job.queue);
  }

  private pump(queue: QueueName): void {
    const h = this.handlers.get(queue);
    if (!h || this.stopping) return;
    const list = this.ready.get(queue) ?? [];
    while (list.length && (this.running.get(queue) ?? 0) < h.concurrency) {
      const job = list.shift()!;
      this.running.set(queue, (this.running.get(queue) ?? 0) + 1);
      const p = this.run(job, h.handler).finally(() => {
        this.active.delete(p);
        this.running.set(queue, (this.running.get(queue) ?? 1) - 1);
        this.pump(queue);
      });
      this.active.add(p);
    }
  }

  private async run(job: Job, handler: JobHandler): Promise<void> {
    try {
      const result = await handler(job.data, { id: job.id, queue: job.queue, attempt: job.attempt });
      this.finish(job);
      this.emit({ queue: job.queue, id: job.id, attempt: job.attempt, status: 'completed', result });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (job.attempt < job.attempts && !this.stopping) {
        this.emit({ queue: job.queue, id: job.id, attempt: job.attempt, status: 'retrying', error });
        const delay = job.backoffMs * 2 ** (job.attempt - 1);
        this.later(delay, () => this.push({ ...job, attempt: job.attempt + 1 }));
      } else {
        this.finish(job);
        this.emit({ queue: job.queue, id: job.id, attempt: job.attempt, status: 'failed', error });
      }
    }
  }

  private finish(job: Job): void {
    this.known.set(`${job.queue}:${job.id}`, Date.now() + (this.options.dedupRetentionMs ?? 86_400_000));
    if (this.known.size > 100_000) {
      const now = Date.now();
      for (const [k, exp] of this.known) if (exp !== 0 && exp <= now) this.known.delete(k);
    }
  }

  private emit(e: JobEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's bug must not break the runner.
      }
    }
  }
}
