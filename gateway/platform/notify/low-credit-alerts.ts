import { TopicScheme, decodePayload } from '../../../protocol/index.js';
import type { MessageBus } from '../bus/index.js';
import type { JobRunner } from '../jobs/index.js';
import { enqueueNotification } from './notification-jobs.js';

export interface LowCreditAlertsOptions {
  bus: Pick<MessageBus, 'subscribe'>;
  runner: JobRunner;
  topics?: TopicScheme;
  /** The meter's customer (the ledger's meters table); undefined for meters nobody owns. */
  customerOf: (meterId: string) => Promise<string | undefined>;
  log?: (message: string) => void;
}

/**
 * Prepaid meters announce low credit themselves (`credit.low` on their event topic); this turns each
 * announcement into a customer notification. The idempotency key is the meter and the event's time,
 * so a redelivered event never notifies twice, while the next low-credit episode does.
 */
export class LowCreditAlerts {
  private readonly options: LowCreditAlertsOptions;
  sent = 0;

  constructor(options: LowCreditAlertsOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const topics = this.options.topics ?? new TopicScheme();
    await this.options.bus.subscribe(
      `${topics.prefix}/meters/+/event`,
      async (message) => {
        const event = decodePayload('event', message.payload);
        if (!event.ok || event.value.kind !== 'credit.low') return;
        const { meter, ts, credit } = event.value;
        const customerId = await this.options.customerOf(meter);
        if (!customerId) return;
        await enqueueNotification(this.options.runner, {
          idempotencyKey: `low-credit-${meter}-${ts}`,
          customerId,
          kind: 'low_credit',
          params: { meterId: meter, credit: credit ?? 0, unit: 'kWh' },
        });
        this.sent++;
      },
      { qos: 1 },
    );
  }
}
