import type { MeterContext, MeterContextSource } from './scanner.js';

/** Meter classes and disconnections from a map (configuration, tests, the bench). */
export class StaticMeterContext implements MeterContextSource {
  private readonly map: ReadonlyMap<string, MeterContext>;

  constructor(options: { meters: ReadonlyMap<string, MeterContext> }) {
    this.map = options.meters;
  }

  async describe(meterIds: readonly string[]): Promise<Map<string, MeterContext>> {
    const out = new Map<string, MeterContext>();
    for (const id of meterIds) {
      const c = this.map.get(id);
      if (c) out.set(id, c);
    }
    return out;
  }
}
