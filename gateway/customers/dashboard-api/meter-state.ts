import { TopicScheme, decodePayload } from '../../../protocol/index.js';
import type { MessageBus } from '../../platform/index.js';

export interface MeterStateView {
  credit?: number;
  relay?: string;
  online: boolean;
  ts: string;
}

/**
 * The last state each prepaid meter published (`…/meters/{id}/state`, retained: the broker hands
 * every meter's last state to a new subscriber, so a restarted gateway knows the credit at once).
 * The meter view's credit tile reads it; the ledger knows what was sold, only the meter knows what
 * is left.
 */
export class MeterStateTracker {
  private readonly states = new Map<string, MeterStateView>();

  async start(bus: Pick<MessageBus, 'subscribe'>, topics = new TopicScheme()): Promise<void> {
    await bus.subscribe(
      `${topics.prefix}/meters/+/state`,
      (message) => {
        const decoded = decodePayload('state', message.payload);
        if (!decoded.ok) return;
        const s = decoded.value;
        const known = this.states.get(s.meter);
        if (known && known.ts > s.ts) return;
        this.states.set(s.meter, {
          online: s.online,
          ts: s.ts,
          ...(typeof s.credit === 'number' ? { credit: s.credit } : {}),
          ...(s.relay ? { relay: s.relay } : {}),
        });
      },
      { qos: 1 },
    );
  }

  get(meterId: string): MeterStateView | undefined {
    return this.states.get(meterId);
  }
}
