import type { Anomaly, AnomalyStore, RecordResult } from './anomaly-store.js';
import type { DailyBatchSource } from './daily-batches.js';
import { dayNumber } from './days.js';
import { detectNightBaseLoad, type HourlyPoint, type NightBaseLoadOptions } from './detect-night.js';
import { detectMeter } from './detector.js';
import { thresholdsFor, type ThresholdConfig } from './thresholds.js';
import type { DetectedAnomaly, MeterSeries } from './types.js';

/** What the rollups do not say about a meter: its class (thresholds) and prepaid relay state. */
export interface MeterContext {
  meterClass?: string;
  /** YYYY-MM-DD the relay was opened, when the prepaid meter is disconnected now. */
  disconnectedSince?: string;
}

export interface MeterContextSource {
  describe(meterIds: readonly string[]): Promise<Map<string, MeterContext>>;
}

/** Hourly consumption (interval readings) for the leak detector; daily rollups cannot show a leak. */
export interface HourlySource {
  hourly(query: { meterId: string; obis: string; from: Date; to: Date }): Promise<HourlyPoint[]>;
}

export interface AnomalyScannerOptions {
  source: DailyBatchSource;
  store: AnomalyStore;
  thresholds?: ThresholdConfig;
  context?: MeterContextSource;
  /** With an hourly source, meters of `hourlyObis` registers are also checked for night base load. */
  hourly?: HourlySource;
  hourlyObis?: readonly string[];
  night?: NightBaseLoadOptions;
  batchSize?: number;
  /** Called with each batch's newly opened anomalies (to notify customers). */
  onOpened?: (anomalies: Anomaly[]) => Promise<void>;
}

export interface ScanReport {
  asOf: string;
  obis: string;
  meters: number;
  detections: number;
  opened: number;
  updated: number;
  suppressed: number;
  byKind: Record<string, number>;
  elapsedMs: number;
  /** Where the time went: waiting for batches, detecting, waiting for the previous batch's write. */
  phases: { readMs: number; detectMs: number; storeMs: number };
}

/** Water registers (OBIS medium 8): where a night base load means a leak. */
export const DEFAULT_HOURLY_OBIS = ['8-0:1.0.0'];

/**
 * A full scan: batches of meters streamed from SQL, the pure detector over each meter, the batch's
 * detections recorded in one statement. Memory is one batch; time is linear in meters.
 */
export class AnomalyScanner {
  private readonly options: AnomalyScannerOptions;

  constructor(options: AnomalyScannerOptions) {
    this.options = options;
  }

  async scan(query: { asOf: string; obis: string }): Promise<ScanReport> {
    const t0 = performance.now();
    const asOf = dayNumber(query.asOf);
    const o = this.options;
    const report: ScanReport = {
      asOf: query.asOf,
      obis: query.obis,
      meters: 0,
      detections: 0,
      opened: 0,
      updated: 0,
      suppressed: 0,
      byKind: {},
      elapsedMs: 0,
      phases: { readMs: 0, detectMs: 0, storeMs: 0 },
    };
    const hourlyObis = o.hourlyObis ?? DEFAULT_HOURLY_OBIS;
    const batches = o.source.batches({ obis: query.obis, asOf, batchSize: o.batchSize ?? 2000 });
    // A batch's detections are recorded while the next batch is analysed: one write in flight at a
    // time (in batch order), waited for before the one after is started.
    let writing: Promise<void> = Promise.resolve();
    const write = async (found: DetectedAnomaly[]) => {
      const r: RecordResult = await o.store.record(found);
      report.opened += r.opened;
      report.updated += r.updated;
      report.suppressed += r.suppressed;
      if (o.onOpened && r.openedIds.length) {
        const opened = await Promise.all(r.openedIds.map((id) => o.store.get(id)));
        await o.onOpened(opened.filter((a): a is Anomaly => a !== undefined));
      }
    };
    let tRead = performance.now();
    for await (const batch of batches) {
      const tDetect = performance.now();
      report.phases.readMs += tDetect - tRead;
      const contexts = o.context ? await o.context.describe(batch.map((s) => s.meterId)) : undefined;
      const found: DetectedAnomaly[] = [];
      for (const s of batch) {
        const series = withContext(s, contexts?.get(s.meterId));
        for (const d of detectMeter(series, asOf, o.thresholds)) found.push(d);
        if (o.hourly && hourlyObis.includes(query.obis)) {
          const t = thresholdsFor(o.thresholds, series.meterClass);
          const hours = await o.hourly.hourly({
            meterId: s.meterId,
            obis: query.obis,
            from: new Date((asOf - t.nightBaseLoadNights - 1) * 86_400_000),
            to: new Date((asOf + 1) * 86_400_000),
          });
          const leak = detectNightBaseLoad(s.meterId, query.obis, hours, t, o.night);
          if (leak) found.push(leak);
        }
      }
      const tStore = performance.now();
      report.phases.detectMs += tStore - tDetect;
      report.meters += batch.length;
      report.detections += found.length;
      for (const d of found) report.byKind[d.kind] = (report.byKind[d.kind] ?? 0) + 1;
      await writing;
      writing = write(found);
      writing.catch(() => undefined); // awaited after the next batch (or below); a failure ends the scan there
      tRead = performance.now();
      report.phases.storeMs += tRead - tStore;
    }
    const tLast = performance.now();
    await writing;
    report.phases.storeMs += performance.now() - tLast;
    report.elapsedMs = performance.now() - t0;
    return report;
  }
}

function withContext(s: MeterSeries, c: MeterContext | undefined): MeterSeries {
  if (!c) return s;
  return {
    ...s,
    ...(c.meterClass ? { meterClass: c.meterClass } : {}),
    ...(c.disconnectedSince ? { disconnectedSince: dayNumber(c.disconnectedSince) } : {}),
  };
}
