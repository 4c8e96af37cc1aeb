/**
 * Background jobs behind one interface with two implementations running the same handlers: BullMQ on
 * Redis (REDIS_URL set: shared by several gateway processes, survives restarts) and in-process
 * (single node, nothing to install). Both pass the conformance suite in conformance.ts.
 */
export const QUEUES = ['anomaly-scan', 'estimation', 'low-credit-check', 'notifications', 'billing'] as const;
export type QueueName = (typeof QUEUES)[number];

export function isQueueName(value: unknown): value is QueueName {
  return typeof value === 'string' && (QUEUES as readonly string[]).includes(value);
}

export interface JobContext {
  id: string;
  queue: QueueName;
  /** 1 on the first try, 2 on the first retry … */
  attempt: number;
}

export type JobHandler = (data: unknown, ctx: JobContext) => Promise<unknown>;

export interface EnqueueOptions {
  /** Idempotency: a job id already known (waiting, running or done recently) is not added again. */
  jobId?: string;
  /** Tries in all (default 5). */
  attempts?: number;
  /** First retry delay; doubles each retry (default 1000 ms). */
  backoffMs?: number;
  delayMs?: number;
}

export interface ScheduleOptions {
  everyMs: number;
  data?: unknown;
  attempts?: number;
  backoffMs?: number;
}

export interface JobEvent {
  queue: QueueName;
  id: string;
  attempt: number;
  /** retrying: this attempt failed and another is scheduled; failed: no attempts left. */
  status: 'completed' | 'retrying' | 'failed';
  result?: unknown;
  error?: string;
}

export interface JobRunner {
  readonly kind: 'bullmq' | 'in-process';
  /** Handlers are registered before start(). A queue without a handler can still be enqueued to. */
  register(queue: QueueName, handler: JobHandler, options?: { concurrency?: number }): void;
  start(): Promise<void>;
  /** Stops taking jobs, waits for running ones, releases timers and connections. */
  stop(): Promise<void>;
  /** Returns the job id. */
  enqueue(queue: QueueName, data: unknown, options?: EnqueueOptions): Promise<string>;
  /** A repeatable job (e.g. the nightly anomaly scan); upserting the same id replaces it. */
  schedule(queue: QueueName, scheduleId: string, options: ScheduleOptions): Promise<void>;
  unschedule(queue: QueueName, scheduleId: string): Promise<void>;
  /** Subscribe to job outcomes; returns the unsubscribe function. */
  onEvent(listener: (event: JobEvent) => void): () => void;
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1000;
