import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { JobsError } from './errors.js';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  isQueueName,
  QUEUES,
  type EnqueueOptions,
  type JobEvent,
  type JobHandler,
  type JobRunner,
  type QueueName,
  type ScheduleOptions,
} from './job-runner.js';

export interface BullMqJobRunnerOptions {
  /** redis://host:port/db (REDIS_URL). */
  redisUrl: string;
  /** Key prefix in Redis (default 'metergate'); tests use a unique one per run. */
  prefix?: string;
  /** Finished jobs kept (and so job ids deduplicating) this long (default 24 h). */
  keepFinishedSeconds?: number;
}

/**
 * BullMQ on Redis: queues shared by every gateway process, retries with exponential backoff, job
 * schedulers for repeatable scans, job ids as idempotency keys (BullMQ ignores an add whose id exists).
 */
export class BullMqJobRunner implements JobRunner {
  readonly kind = 'bullmq' as const;
  private readonly options: BullMqJobRunnerOptions;
  private readonly handlers = new Map<QueueName, { handler: JobHandler; concurrency: number }>();
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];
  private readonly listeners = new Set<(e: JobEvent) => void>();
  private connection: Redis | undefined;
  private started = false;

  constructor(options: BullMqJobRunnerOptions) {
    this.options = options;
  }

  register(queue: QueueName, handler: JobHandler, options: { concurrency?: number } = {}): void {
    if (!isQueueName(queue)) throw new JobsError('MG_ERR_JOBS_UNKNOWN_QUEUE', String(queue));
    if (this.started) throw new JobsError('MG_ERR_JOBS_REGISTER_AFTER_START', queue);
    this.handlers.set(queue, { handler, concurrency: Math.max(1, options.concurrency ?? 1) });
  }

  private get prefix(): string {
    return this.options.prefix ?? 'metergate';
  }

  private redis(): Redis {
    // Workers block on Redis: BullMQ requires maxRetriesPerRequest null on their connections.
    this.connection ??= new Redis(this.options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    return this.connection;
  }

  private queue(name: QueueName): Queue {
    if (!isQueueName(name)) throw new JobsError('MG_ERR_JOBS_UNKNOWN_QUEUE', String(name));
    let q = this.queues.get(name);
    if (!q) {
      const keep = this.options.keepFinishedSeconds ?? 86_400;
      q = new Queue(name, {
        connection: this.redis(),
        prefix: this.prefix,
        defaultJobOptions: { removeOnComplete: { age: keep }, removeOnFail: { age: keep * 7 } },
      });
      this.queues.set(name, q);
    }
    return q;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const [name, { handler, concurrency }] of this.handlers) {
      this.queue(name);
      const worker = new Worker(
        name,
        (job: Job) => handler(job.data, { id: job.id ?? '', queue: name, attempt: job.attemptsMade + 1 }),
        { connection: this.redis(), prefix: this.prefix, concurrency },
      );
      worker.on('completed', (job, result) => {
        this.emit({
          queue: name,
          id: job.id ?? '',
          attempt: job.attemptsMade || 1,
          status: 'completed',
          result,
        });
      });
      worker.on('failed', (job, err) => {
        if (!job) return;
        const attempts = job.opts.attempts ?? 1;
        this.emit({
          queue: name,
          id: job.id ?? '',
          attempt: job.attemptsMade,
          status: job.attemptsMade < attempts ? 'retrying' : 'failed',
          error: err.message,
        });
      });
      // Errors of the Redis connection are retried by ioredis; keep them from crashing the process.
      worker.on('error', () => undefined);
      this.workers.push(worker);
    }
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers.length = 0;
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    const c = this.connection;
    this.connection = undefined;
    if (c) await c.quit().catch(() => c.disconnect());
    this.started = false;
  }

  async enqueue(queue: QueueName, data: unknown, options: EnqueueOptions = {}): Promise<string> {
    const id = options.jobId ?? randomUUID();
    // BullMQ job ids may not contain ':' (its key separator) nor be integers.
    const job = await this.queue(queue).add(queue, data, {
      jobId: safeId(id),
      attempts: Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS),
      backoff: { type: 'exponential', delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
      ...(options.delayMs ? { delay: options.delayMs } : {}),
    });
    return job.id ?? safeId(id);
  }

  async schedule(queue: QueueName, scheduleId: string, options: ScheduleOptions): Promise<void> {
    await this.queue(queue).upsertJobScheduler(
      scheduleId,
      { every: options.everyMs },
      {
        name: queue,
        data: options.data ?? {},
        opts: {
          attempts: Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS),
          backoff: { type: 'exponential', delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
        },
      },
    );
  }

  async unschedule(queue: QueueName, scheduleId: string): Promise<void> {
    await this.queue(queue).removeJobScheduler(scheduleId);
  }

  onEvent(listener: (event: JobEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delete every key of this runner's queues (tests with a unique prefix clean up with this). */
  async obliterate(): Promise<void> {
    for (const name of QUEUES) this.queue(name);
    await Promise.all([...this.queues.values()].map((q) => q.obliterate({ force: true })));
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

function safeId(id: string): string {
  const s = id.replace(/:/g, '_');
  return /^\d+$/.test(s) ? `j${s}` : s;
}
