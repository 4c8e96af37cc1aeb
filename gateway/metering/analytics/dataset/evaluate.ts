import type { AnomalyKind } from '../types.js';

/** Precision and recall of detections against injected ground truth, on (meter, kind) pairs. */
export class DetectionScore {
  truePositives = 0;
  falsePositives = 0;
  falseNegatives = 0;
  readonly byKind = new Map<AnomalyKind, { tp: number; fp: number; fn: number }>();
  readonly misses: string[] = [];
  readonly falseAlarms: string[] = [];

  add(meterId: string, truth: readonly AnomalyKind[], detected: readonly AnomalyKind[]): void {
    const t = new Set(truth);
    const d = new Set(detected);
    for (const k of d) {
      const s = this.kind(k);
      if (t.has(k)) {
        this.truePositives++;
        s.tp++;
      } else {
        this.falsePositives++;
        s.fp++;
        if (this.falseAlarms.length < 50) this.falseAlarms.push(`${meterId}:${k}`);
      }
    }
    for (const k of t) {
      if (!d.has(k)) {
        this.falseNegatives++;
        this.kind(k).fn++;
        if (this.misses.length < 50) this.misses.push(`${meterId}:${k}`);
      }
    }
  }

  private kind(k: AnomalyKind) {
    let s = this.byKind.get(k);
    if (!s) this.byKind.set(k, (s = { tp: 0, fp: 0, fn: 0 }));
    return s;
  }

  get precision(): number {
    const d = this.truePositives + this.falsePositives;
    return d === 0 ? 1 : this.truePositives / d;
  }

  get recall(): number {
    const d = this.truePositives + this.falseNegatives;
    return d === 0 ? 1 : this.truePositives / d;
  }

  summary(): Record<string, unknown> {
    const kinds: Record<string, unknown> = {};
    for (const [k, s] of this.byKind) {
      kinds[k] = {
        ...s,
        precision: s.tp + s.fp ? s.tp / (s.tp + s.fp) : 1,
        recall: s.tp + s.fn ? s.tp / (s.tp + s.fn) : 1,
      };
    }
    return {
      precision: this.precision,
      recall: this.recall,
      truePositives: this.truePositives,
      falsePositives: this.falsePositives,
      falseNegatives: this.falseNegatives,
      byKind: kinds,
    };
  }
}
