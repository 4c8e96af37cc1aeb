/**
 * Anomalies injected on purpose, so detection can be tested against known ground truth. Each is a
 * change of the meter's behaviour from an instant on (ms since epoch, UTC):
 * - `jump`: consumption multiplied by `factor` (a new tenant, a heat pump);
 * - `leak`: a constant extra base load of `kw` (a stuck element, a water-heater fault);
 * - `stopped`: the register stops advancing and power reads 0 (a dead meter), until `to` if given;
 * - `rollback`: the register drops by `kwh` at `at` (tampering or a replaced meter).
 */
export type Anomaly =
  | { readonly kind: 'jump'; readonly from: number; readonly factor: number }
  | { readonly kind: 'leak'; readonly from: number; readonly kw: number }
  | { readonly kind: 'stopped'; readonly from: number; readonly to?: number }
  | { readonly kind: 'rollback'; readonly at: number; readonly kwh: number };

export const ANOMALY_KINDS = ['jump', 'leak', 'stopped', 'rollback'] as const;

/** The effect of the anomalies at one instant. */
export interface AnomalyState {
  readonly factor: number;
  readonly leakKw: number;
  readonly stopped: boolean;
}

export function anomalyStateAt(anomalies: readonly Anomaly[], t: number): AnomalyState {
  let factor = 1;
  let leakKw = 0;
  let stopped = false;
  for (const a of anomalies) {
    if (a.kind === 'jump' && t >= a.from) factor *= a.factor;
    else if (a.kind === 'leak' && t >= a.from) leakKw += a.kw;
    else if (a.kind === 'stopped' && t >= a.from && (a.to === undefined || t < a.to)) stopped = true;
  }
  return { factor, leakKw, stopped };
}

/** Instants where the anomaly state changes, inside (a, b), ascending. */
export function anomalyBoundaries(anomalies: readonly Anomaly[], a: number, b: number): number[] {
  const cuts = new Set<number>();
  for (const x of anomalies) {
    const times = x.kind === 'rollback' ? [] : x.kind === 'stopped' ? [x.from, x.to ?? Infinity] : [x.from];
    for (const t of times) if (t > a && t < b) cuts.add(t);
  }
  return [...cuts].sort((p, q) => p - q);
}

/** Total register drop of the rollbacks in (a, b]. */
export function rollbackBetween(anomalies: readonly Anomaly[], a: number, b: number): number {
  let kwh = 0;
  for (const x of anomalies) if (x.kind === 'rollback' && x.at > a && x.at <= b) kwh += x.kwh;
  return kwh;
}
