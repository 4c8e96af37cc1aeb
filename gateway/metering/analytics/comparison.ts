import type { SqlExecutor } from '../../platform/index.js';
import { compareWindow, isAbnormallyHigh } from './compare-windows.js';
import { loadMeterSeries } from './daily-batches.js';
import { dayNumber, monthStart } from './days.js';
import { AnalyticsError } from './errors.js';
import { thresholdsFor, type ThresholdConfig } from './thresholds.js';
import type { WindowComparison } from './types.js';

export interface ComparisonResult extends Omit<WindowComparison, 'ratio'> {
  meterId: string;
  obis: string;
  /** null when the reference is zero and the current window is not. */
  ratio: number | null;
  abnormal: boolean;
  thresholds: { ratio: number; minDifference: number };
}

/** "This period against the same period last year" for one meter, as the customer and operator see it. */
export class ConsumptionComparison {
  private readonly options: { db: SqlExecutor; thresholds?: ThresholdConfig };

  constructor(options: { db: SqlExecutor; thresholds?: ThresholdConfig }) {
    this.options = options;
  }

  async compare(q: {
    meterId: string;
    obis: string;
    asOf: string;
    window: WindowComparison['window'];
    meterClass?: string;
  }): Promise<ComparisonResult> {
    let asOf: number;
    try {
      asOf = dayNumber(q.asOf);
    } catch {
      throw new AnalyticsError('MG_ERR_ANALYTICS_BAD_RANGE', `asOf ${q.asOf}`);
    }
    const series = await loadMeterSeries(this.options.db, { meterId: q.meterId, obis: q.obis, asOf });
    if (!series) throw new AnalyticsError('MG_ERR_ANALYTICS_NO_DATA', `${q.meterId} ${q.obis}`);
    const t = thresholdsFor(this.options.thresholds, q.meterClass);
    const from = q.window === 'rolling' ? asOf - t.windowDays + 1 : monthStart(asOf);
    const c = compareWindow(series, from, asOf, q.window, t);
    if (!c)
      throw new AnalyticsError('MG_ERR_ANALYTICS_NO_DATA', 'not enough days in the window or its reference');
    return {
      ...c,
      meterId: q.meterId,
      obis: q.obis,
      ratio: Number.isFinite(c.ratio) ? c.ratio : null,
      abnormal: isAbnormallyHigh(c, t),
      thresholds: { ratio: t.ratio, minDifference: t.minDifference },
    };
  }
}
