import { BullMqJobRunner } from './bullmq-runner.js';
import { InProcessJobRunner } from './in-process-runner.js';
import type { JobRunner } from './job-runner.js';

/** BullMQ when a Redis URL is configured (REDIS_URL), the in-process runner otherwise. */
export function createJobRunner(options: { redisUrl?: string | undefined; prefix?: string } = {}): JobRunner {
  return options.redisUrl
    ? new BullMqJobRunner({
        redisUrl: options.redisUrl,
        ...(options.prefix ? { prefix: options.prefix } : {}),
      })
    : new InProcessJobRunner();
}
