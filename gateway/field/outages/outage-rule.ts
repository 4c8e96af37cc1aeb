/**
 * When meters falling silent are one outage rather than N communication faults: at least `minMeters`
 * meters behind one transformer, and at least `minShare` of the transformer's reporting meters,
 * without a reading for `silentSeconds`. A single silent meter stays a communication fault.
 */
export interface OutageRule {
  minMeters: number;
  /** 0..1 of the transformer's meters that ever reported. */
  minShare: number;
  silentSeconds: number;
  /** How often the detector looks (seconds). */
  checkEverySeconds: number;
}

export const DEFAULT_OUTAGE_RULE: OutageRule = {
  minMeters: 3,
  minShare: 0.5,
  silentSeconds: 30,
  checkEverySeconds: 10,
};

export interface TransformerSilence {
  total: number;
  silent: number;
}

export function isOutage(rule: OutageRule, t: TransformerSilence): boolean {
  return t.silent >= rule.minMeters && t.total > 0 && t.silent / t.total >= rule.minShare;
}
