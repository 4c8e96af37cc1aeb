import { decodePayload, type TopicScheme } from '../../../protocol/index.js';
import type { MessageBus } from '../../platform/index.js';
import { checkPoint } from './location-import.js';
import type { LocationStore } from './location-store.js';

/**
 * Locations of edge-attached meters: an edge publishes each meter's edge.yaml `location` with its
 * retained state (`…/meters/{id}/state`). Each is checked as one line of the location import is
 * (WGS 84 bounds, texts, network ids) and becomes the meter's connection point, replacing an
 * imported one; a bad one is an error line naming the meter and the field, and nothing is stored for
 * that meter. The broker lets an edge publish only for its own meters, so the meter need not have
 * reported yet (a trusted import). A location already stored is not written again.
 */
export class EdgeLocations {
  private readonly stored = new Map<string, string>();

  constructor(
    private readonly o: {
      locations: Pick<LocationStore, 'import'>;
      log?: (level: 'info' | 'warn' | 'error', message: string) => void;
      onError: (err: unknown) => void;
    },
  ) {}

  async subscribe(bus: Pick<MessageBus, 'subscribe'>, topics: TopicScheme): Promise<void> {
    await bus.subscribe(
      `${topics.prefix}/meters/+/state`,
      async (message) => {
        const topic = topics.parse(message.topic);
        if (topic.ok && topic.kind === 'state') await this.onState(topic.meterId, message.payload);
      },
      { qos: 1 },
    );
  }

  /** One meter state from the bus; resolves when its location (if any) is stored or refused. */
  async onState(meter: string, payload: Buffer | string): Promise<void> {
    const state = decodePayload('state', payload);
    if (!state.ok) {
      const bad = state.errors.find((e) => e.path.startsWith('/location'));
      if (bad) this.refuse(meter, `${bad.path.slice(1).replace(/\//g, '.')}: ${bad.message}`);
      return;
    }
    const location = state.value.location;
    if (!location || state.value.meter !== meter) return;
    const checked = checkPoint({ ...location, meter });
    if (!checked.ok) return this.refuse(meter, `location ${checked.reason}`);
    const key = JSON.stringify(checked.point);
    if (this.stored.get(meter) === key) return;
    try {
      const r = await this.o.locations.import(
        { ok: true, points: [{ line: 1, point: checked.point }] },
        { trusted: true },
      );
      if (r.ok) this.stored.set(meter, key);
    } catch (err) {
      this.o.onError(err);
    }
  }

  private refuse(meter: string, reason: string): void {
    this.o.log?.('error', `location of meter ${meter} from its edge refused (nothing stored): ${reason}`);
  }
}
