import { decodePayload, type TopicScheme } from '../../../protocol/index.js';
import type { MessageBus } from '../../platform/index.js';
import type { OutageDetector } from './outage-detector.js';

/**
 * The meters' power events from the bus (`…/meters/{id}/event`, kinds `power.failure` — the "last
 * gasp" a DLMS meter pushes on its stored energy — and `power.restored`), handed to the outage
 * detector, which counts a meter that sent its last gasp as without power at once. Other events and
 * invalid payloads are not this subscriber's (ingest dead-letters the invalid ones).
 */
export async function subscribePowerEvents(o: {
  bus: Pick<MessageBus, 'subscribe'>;
  topics: TopicScheme;
  detector: Pick<OutageDetector, 'powerEvent'>;
  onError: (err: unknown) => void;
}): Promise<void> {
  await o.bus.subscribe(
    `${o.topics.prefix}/meters/+/event`,
    async (message) => {
      const topic = o.topics.parse(message.topic);
      const event = decodePayload('event', message.payload);
      if (!topic.ok || topic.kind !== 'event' || !event.ok || event.value.meter !== topic.meterId) return;
      const { kind, meter, ts } = event.value;
      if (kind !== 'power.failure' && kind !== 'power.restored') return;
      try {
        await o.detector.powerEvent(meter, kind === 'power.failure' ? 'down' : 'up', new Date(ts));
      } catch (err) {
        o.onError(err);
      }
    },
    { qos: 1 },
  );
}
