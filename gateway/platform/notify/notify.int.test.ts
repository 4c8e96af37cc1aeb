import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/postgres.js';
import { SERVICES, requireRedis } from '../../../test/support/services.js';
import { openDatabase } from '../db/index.js';
import { BullMqJobRunner } from '../jobs/index.js';
import { runDeliveryScenario } from './delivery-scenario.js';

describe('notifications through BullMQ on Redis, PostgreSQL ledger', () => {
  it('reach the webhook, SMS gateway and SMTP receivers exactly once though each fails first', async () => {
    await requireRedis();
    const t = await createTestDatabase('mg_notify');
    const db = await openDatabase({ url: t.url });
    const runner = new BullMqJobRunner({
      redisUrl: SERVICES.redis,
      prefix: `mgtest-notify-${randomBytes(4).toString('hex')}`,
    });
    try {
      await runDeliveryScenario(runner, db);
    } finally {
      await runner.obliterate();
      await runner.stop();
      await db.close();
      await t.drop();
    }
  });
});
