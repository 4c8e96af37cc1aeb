import { RollupEngine, type LiveHub, type ReadingStore } from '../../metering/index.js';
import type { SqlDatabase } from '../../platform/index.js';

export interface Exchange {
  oldMeter: string;
  newMeter: string;
  obis: string;
  oldFinalIndex: number;
  newInitialIndex: number;
  at: Date;
}

/**
 * The contract's register across a meter exchange: the contract stays on its connection point's
 * first meter id, whose register continues as `oldFinalIndex + (new meter's index − newInitialIndex)`.
 * So a period that spans the exchange is old-meter consumption + new-meter consumption for billing,
 * the estimator and the prior-year comparison, never a jump. Chained exchanges compose.
 */
export function continuedIndex(
  e: Pick<Exchange, 'oldFinalIndex' | 'newInitialIndex'>,
  newIndex: number,
): number {
  return e.oldFinalIndex + (newIndex - e.newInitialIndex);
}

const SOURCE = 'meter-exchange';

/**
 * Carries the readings of exchanged-in meters over to the contract's register: each reading of a
 * new meter (live hub) becomes a reading of the contract meter at the continued index (source
 * `meter-exchange`) and its daily rollup.
 */
export class ExchangeMirror {
  private readonly db: SqlDatabase;
  private readonly readings: ReadingStore | undefined;
  private readonly rollups: RollupEngine | undefined;
  private readonly live: LiveHub | undefined;
  private readonly byNewMeter = new Map<string, Exchange & { contractMeter: string }>();
  private unsubscribe: (() => void) | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly onError: (err: unknown) => void;

  constructor(options: {
    db: SqlDatabase;
    readings?: ReadingStore;
    live?: LiveHub;
    onError?: (err: unknown) => void;
  }) {
    this.db = options.db;
    this.readings = options.readings;
    this.live = options.live;
    this.onError = options.onError ?? (() => undefined);
    this.rollups =
      options.readings && new RollupEngine({ db: options.db, source: options.readings, cursorCacheSize: 0 });
  }

  async start(): Promise<void> {
    const { rows } = await this.db.query<{
      oldMeter: string;
      newMeter: string;
      obis: string;
      oldFinalIndex: number;
      newInitialIndex: number;
      at: Date;
    }>(
      `SELECT old_meter_id AS "oldMeter", new_meter_id AS "newMeter", obis, old_final_index AS "oldFinalIndex",
              new_initial_index AS "newInitialIndex", exchanged_at AS at FROM field_meter_exchanges ORDER BY exchanged_at`,
    );
    for (const e of rows) this.add(e);
  }

  stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    return this.chain;
  }

  /** The register the contract bills, for a meter that came in by an exchange (else the meter itself). */
  contractMeterOf(meter: string): string {
    return this.byNewMeter.get(meter)?.contractMeter ?? meter;
  }

  add(e: Exchange): void {
    const previous = this.byNewMeter.get(e.oldMeter);
    // A chained exchange continues the contract register of the meter it replaces.
    const contractMeter = previous?.contractMeter ?? e.oldMeter;
    const offset = previous ? continuedIndex(previous, e.oldFinalIndex) : e.oldFinalIndex;
    this.byNewMeter.set(e.newMeter, { ...e, oldFinalIndex: offset, contractMeter });
    this.unsubscribe?.();
    this.unsubscribe = this.live?.subscribe(
      (m) => {
        if (m.type !== 'reading') return;
        const ts = new Date(m.data.ts);
        this.chain = this.chain
          .then(() => this.mirror(m.meterId, ts, m.data.values))
          .catch((err: unknown) => this.onError(err));
      },
      [...this.byNewMeter.keys()],
    );
  }

  /** One reading of an exchanged-in meter, carried to the contract's register. */
  async mirror(meter: string, ts: Date, values: Record<string, number>): Promise<void> {
    const e = this.byNewMeter.get(meter);
    const value = e && values[e.obis];
    if (!e || value === undefined || ts < e.at || !this.readings || !this.rollups) return;
    const index = continuedIndex(e, value);
    const stored = this.readings.write([
      {
        meterId: e.contractMeter,
        ts,
        seq: 0,
        values: { [e.obis]: index },
        quality: 'good',
        source: SOURCE,
        historical: true,
      },
    ]);
    await stored;
    await this.rollups.apply([{ meterId: e.contractMeter, obis: e.obis, ts: ts.getTime(), value: index }], {
      stored,
    });
  }

  /** The old meter's final index as its last real reading (its register ends there). */
  async close(e: Exchange): Promise<void> {
    if (this.byNewMeter.has(e.oldMeter)) return this.mirror(e.oldMeter, e.at, { [e.obis]: e.oldFinalIndex });
    if (!this.readings || !this.rollups) return;
    const stored = this.readings.write([
      {
        meterId: e.oldMeter,
        ts: e.at,
        seq: 0,
        values: { [e.obis]: e.oldFinalIndex },
        quality: 'real',
        source: SOURCE,
        historical: true,
      },
    ]);
    await stored;
    await this.rollups.apply(
      [{ meterId: e.oldMeter, obis: e.obis, ts: e.at.getTime(), value: e.oldFinalIndex }],
      {
        stored,
      },
    );
  }
}
