import { randomBytes } from 'node:crypto';
import { beforeAll } from 'vitest';
import { SERVICES, requireRedis } from '../../../test/support/services.js';
import { BullMqJobRunner } from './bullmq-runner.js';
import { describeJobRunner } from './conformance.js';

beforeAll(async () => {
  await requireRedis();
});

// A unique key prefix per runner: suites never see each other's jobs; obliterate() removes the keys.
describeJobRunner(
  'BullMQ on Redis',
  () =>
    new BullMqJobRunner({
      redisUrl: SERVICES.redis,
      prefix: `mgtest-${process.pid}-${randomBytes(4).toString('hex')}`,
    }),
  async (r) => {
    const b = r as BullMqJobRunner;
    await b.obliterate();
    await b.stop();
  },
);
