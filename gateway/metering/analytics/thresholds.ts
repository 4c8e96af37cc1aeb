/**
 * Detection thresholds, configurable per tariff or customer class. A window is "abnormally high"
 * only when BOTH the ratio and the absolute difference pass, so tiny consumers do not alert on
 * noise (ratio) and big consumers do not alert on ordinary variation (difference).
 */
export interface Thresholds {
  /** current / reference at or above this flags high consumption. */
  ratio: number;
  /** current − reference (register unit, per rolling window) at or above this flags. */
  minDifference: number;
  /** Rolling window length in days. */
  windowDays: number;
  /** Consecutive zero days that make a stopped meter (or bypass). */
  zeroDays: number;
  /** A register drop larger than this (unit) is tampering rather than rounding. */
  backwardsTolerance: number;
  /** Consumption after disconnection above this (per day) is consumption on a disconnected meter. */
  disconnectedDailyTolerance: number;
  /** Night (02:00–05:00) minimum flow above this per hour, on every night … */
  nightBaseLoad: number;
  /** … for this many consecutive nights, is a leak. */
  nightBaseLoadNights: number;
  /** Share of window days that must have data for a window to be compared at all. */
  minCoverage: number;
  /** Prior-year window below this share of its own surroundings is unrepresentative (vacation). */
  representativeShare: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  ratio: 1.5,
  minDifference: 10,
  windowDays: 7,
  zeroDays: 7,
  backwardsTolerance: 0.01,
  disconnectedDailyTolerance: 0.05,
  nightBaseLoad: 0.005,
  nightBaseLoadNights: 3,
  minCoverage: 0.7,
  representativeShare: 0.8,
};

export interface ThresholdConfig {
  default?: Partial<Thresholds>;
  /** Overrides by class, e.g. { commercial: { minDifference: 80 } }. */
  byClass?: Record<string, Partial<Thresholds>>;
}

export function thresholdsFor(config: ThresholdConfig | undefined, meterClass?: string): Thresholds {
  const base = { ...DEFAULT_THRESHOLDS, ...config?.default };
  const cls = meterClass ? config?.byClass?.[meterClass] : undefined;
  return cls ? { ...base, ...cls } : base;
}
