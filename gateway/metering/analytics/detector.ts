import { compareWindow, isAbnormallyHigh } from './compare-windows.js';
import { detectBackwards, detectDisconnectedConsumption, detectZeroRun } from './detect-register.js';
import { dayString, monthStart } from './days.js';
import { thresholdsFor, type ThresholdConfig } from './thresholds.js';
import type { DetectedAnomaly, MeterSeries, WindowComparison } from './types.js';

/** Days of history a scan must load before `asOf`: the prior-year window and its surrounding weeks. */
export const HISTORY_NEEDED_DAYS = 364 + 31 + 56;

/**
 * Every daily-rollup detector over one meter, as one pure function: the scan streams meters from
 * SQL in batches and calls this, so it is the unit measured by the bench and tested on ground truth.
 */
export function detectMeter(s: MeterSeries, asOf: number, config?: ThresholdConfig): DetectedAnomaly[] {
  const t = thresholdsFor(config, s.meterClass);
  const out: DetectedAnomaly[] = [];
  const disconnected = s.disconnectedSince !== undefined && s.disconnectedSince <= asOf;
  if (!disconnected) {
    const windows: WindowComparison[] = [];
    const rolling = compareWindow(s, asOf - t.windowDays + 1, asOf, 'rolling', t);
    if (rolling) windows.push(rolling);
    const m0 = monthStart(asOf);
    // A billing month compared from its first day; too few days yet and the rolling window covers it.
    if (asOf - m0 + 1 >= t.windowDays && asOf - m0 + 1 !== t.windowDays) {
      const month = compareWindow(s, m0, asOf, 'billing_month', t);
      if (month) windows.push(month);
    }
    const flagged = windows.filter((w) => isAbnormallyHigh(w, t));
    if (flagged.length) {
      out.push({
        meterId: s.meterId,
        obis: s.obis,
        kind: 'high_consumption',
        day: dayString(asOf),
        evidence: {
          windows,
          flaggedWindows: flagged.map((w) => w.window),
          thresholds: { ratio: t.ratio, minDifference: t.minDifference, windowDays: t.windowDays },
          comparedWith: flagged[0]!.basis,
          ...(flagged[0]!.basisReason ? { note: basisNote(flagged[0]!) } : {}),
        },
      });
    }
    const zero = detectZeroRun(s, asOf, t);
    if (zero) out.push(zero);
  } else {
    const d = detectDisconnectedConsumption(s, asOf, t);
    if (d) out.push(d);
  }
  const back = detectBackwards(s, asOf, t);
  if (back) out.push(back);
  return out;
}

function basisNote(w: WindowComparison): string {
  return w.basisReason === 'no_prior_year'
    ? 'no consumption recorded one year earlier: compared with the recent weeks instead'
    : 'the same period last year was abnormally low (absence or outage): compared with the recent weeks instead';
}
