export {
  QUEUES,
  isQueueName,
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  type QueueName,
  type JobRunner,
  type JobHandler,
  type JobContext,
  type JobEvent,
  type EnqueueOptions,
  type ScheduleOptions,
} from './job-runner.js';
export { InProcessJobRunner, type InProcessJobRunnerOptions } from './in-process-runner.js';
export { BullMqJobRunner, type BullMqJobRunnerOptions } from './bullmq-runner.js';
export { describeJobRunner } from './conformance.js';
export { createJobRunner } from './create.js';
export { JobsError, JOBS_ERRORS, type JobsErrorCode } from './errors.js';
