import type { MeterEvent } from '../../../protocol/index.js';
import type { StoredReading } from '../readings/index.js';

export type LiveMessage =
  | {
      type: 'reading';
      meterId: string;
      data: { ts: string; seq: number; values: Record<string, number>; quality: string; historical: boolean };
    }
  | { type: 'event'; meterId: string; data: MeterEvent };

export type LiveListener = (message: LiveMessage) => void;

/**
 * In-process fan-out of stored readings and meter events to live-stream clients. Listeners are
 * filtered by meter here so a dashboard watching one meter costs nothing for the others.
 */
export class LiveHub {
  private readonly all = new Set<LiveListener>();
  private readonly byMeter = new Map<string, Set<LiveListener>>();

  subscribe(listener: LiveListener, meterIds?: readonly string[]): () => void {
    if (!meterIds || meterIds.length === 0) {
      this.all.add(listener);
      return () => this.all.delete(listener);
    }
    for (const id of meterIds) {
      let set = this.byMeter.get(id);
      if (!set) this.byMeter.set(id, (set = new Set()));
      set.add(listener);
    }
    return () => {
      for (const id of meterIds) {
        const set = this.byMeter.get(id);
        set?.delete(listener);
        if (set?.size === 0) this.byMeter.delete(id);
      }
    };
  }

  get listeners(): number {
    let n = this.all.size;
    for (const s of this.byMeter.values()) n += s.size;
    return n;
  }

  publish(message: LiveMessage): void {
    for (const l of this.all) l(message);
    const set = this.byMeter.get(message.meterId);
    if (set) for (const l of set) l(message);
  }

  readings(readings: readonly StoredReading[]): void {
    if (this.listeners === 0) return;
    for (const r of readings) {
      this.publish({
        type: 'reading',
        meterId: r.meterId,
        data: {
          ts: r.ts.toISOString(),
          seq: r.seq,
          values: r.values,
          quality: r.quality,
          historical: r.historical,
        },
      });
    }
  }

  event(event: MeterEvent): void {
    if (this.listeners === 0) return;
    this.publish({ type: 'event', meterId: event.meter, data: event });
  }
}
