/** The anomaly kinds the detectors raise; stored as text, so never rename one. */
export const ANOMALY_KINDS = [
  'high_consumption',
  'zero_consumption',
  'register_backwards',
  'night_base_load',
  'disconnected_consumption',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export const ANOMALY_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AnomalyStatus = (typeof ANOMALY_STATUSES)[number];

/**
 * Daily history of one meter and one register as dense arrays: index i is day `start + i`
 * (a day number, see days.ts). Missing days are NaN, so coverage is visible to the detectors.
 */
export interface MeterSeries {
  meterId: string;
  obis: string;
  /** Tariff or customer class selecting the thresholds (e.g. 'residential'). */
  meterClass?: string;
  start: number;
  consumption: Float64Array;
  /** Register value at the first and last sample of each day (NaN when unknown). */
  first: Float64Array;
  last: Float64Array;
  /** Register resets/rollovers the rollup engine counted inside each day (optional). */
  resets?: Int32Array;
  /** Day the prepaid meter's relay was opened (credit exhausted), when it is disconnected now. */
  disconnectedSince?: number;
}

export interface WindowTotal {
  from: string;
  to: string;
  /** Sum over the days present, scaled up to the full window when a few days are missing. */
  total: number;
  daysWithData: number;
}

export interface WindowComparison {
  window: 'rolling' | 'billing_month';
  current: WindowTotal;
  reference: WindowTotal;
  /** prior_year: same weekdays 364 days earlier; recent_history: the weeks before the window. */
  basis: 'prior_year' | 'recent_history';
  /** Why the prior year was not used, when basis is recent_history. */
  basisReason?: 'no_prior_year' | 'prior_year_unrepresentative';
  ratio: number;
  difference: number;
}

export interface DetectedAnomaly {
  meterId: string;
  obis: string;
  kind: AnomalyKind;
  /** Day the condition was observed on (the scan's as-of day or the offending day). */
  day: string;
  evidence: Record<string, unknown>;
}
