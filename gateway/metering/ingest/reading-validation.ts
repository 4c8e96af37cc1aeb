import { isConsumptionRegister, lookupObis } from '../../../protocol/index.js';

/** Readings in the future beyond this are refused (a meter clock a little ahead is tolerated). */
export const MAX_FUTURE_MS = 5 * 60_000;

export interface ReadingToCheck {
  meter: string;
  ts: number;
  values: Record<string, number>;
}

export interface Refused {
  code:
    | 'MG_ERR_INGEST_NEGATIVE_REGISTER'
    | 'MG_ERR_INGEST_REGISTER_DECREASED'
    | 'MG_ERR_INGEST_IN_FUTURE'
    | 'MG_ERR_INGEST_BEFORE_INSTALLATION'
    | 'MG_ERR_INGEST_OUT_OF_RANGE';
  reason: string;
}

/**
 * Issue 21.7: authorised but impossible readings are dead-lettered with a reason instead of stored.
 * Cumulative registers (energy/volume indexes) are never negative and never run backwards, except
 * after an explicit `meter.reset` event; a timestamp may not lie more than 5 minutes ahead of the
 * gateway's clock, nor before the meter's installation when it is known; a value must lie within
 * its OBIS quantity's physical range (protocol/obis.ts). (Impossible calendar dates
 * never get here: the protocol's strict RFC 3339 parsing refuses them as MG_ERR_PROTOCOL_SCHEMA.)
 * The last register value per meter is kept in memory, bounded by the fleet's size.
 */
export class ReadingValidator {
  private readonly last = new Map<string, Map<string, { ts: number; value: number }>>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly installedAt: (meterId: string) => number | undefined = () => undefined,
  ) {}

  check(r: ReadingToCheck): Refused | undefined {
    if (r.ts > this.now() + MAX_FUTURE_MS) {
      return {
        code: 'MG_ERR_INGEST_IN_FUTURE',
        reason: `ts ${new Date(r.ts).toISOString()} is more than 5 minutes ahead`,
      };
    }
    const installed = this.installedAt(r.meter);
    if (installed !== undefined && r.ts < installed) {
      return { code: 'MG_ERR_INGEST_BEFORE_INSTALLATION', reason: `ts before the meter's installation` };
    }
    // for…in rather than Object.entries: no [key, value] arrays per reading on the ingest path.
    const values = r.values;
    for (const obis in values) {
      const value = values[obis]!;
      const range = lookupObis(obis)?.range;
      if (range && (value < range[0] || value > range[1]) && !(isConsumptionRegister(obis) && value < 0)) {
        return {
          code: 'MG_ERR_INGEST_OUT_OF_RANGE',
          reason: `${obis} = ${value} outside ${range[0]}..${range[1]}`,
        };
      }
    }
    const known = this.last.get(r.meter);
    for (const obis in values) {
      if (!isConsumptionRegister(obis)) continue;
      const value = values[obis]!;
      if (value < 0)
        return { code: 'MG_ERR_INGEST_NEGATIVE_REGISTER', reason: `${obis} = ${value} is negative` };
      const prev = known?.get(obis);
      if (prev && r.ts > prev.ts && value < prev.value) {
        return {
          code: 'MG_ERR_INGEST_REGISTER_DECREASED',
          reason: `${obis} went from ${prev.value} to ${value} without a meter reset`,
        };
      }
    }
    return undefined;
  }

  /** Remember an accepted reading's registers (the newest per register). */
  accept(r: ReadingToCheck): void {
    let known = this.last.get(r.meter);
    if (!known) this.last.set(r.meter, (known = new Map()));
    for (const obis in r.values) {
      if (!isConsumptionRegister(obis)) continue;
      const value = r.values[obis]!;
      const prev = known.get(obis);
      if (!prev) known.set(obis, { ts: r.ts, value });
      else if (r.ts >= prev.ts) {
        // Updated in place: one object per meter and register for the gateway's lifetime.
        prev.ts = r.ts;
        prev.value = value;
      }
    }
  }

  /** An explicit meter reset: its registers may start again from zero. */
  reset(meterId: string): void {
    this.last.delete(meterId);
  }
}
