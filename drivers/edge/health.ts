import type { MeterLocation, MeterState } from '../../protocol/index.js';

/**
 * Per-meter health: last success and consecutive failures. A state message is due when the meter
 * changes between online and offline, and on every failure while offline (the failure count and
 * error are the operator's signal); successes while online change only `lastSuccess` in memory.
 * The meter's configured location rides on every state, so the retained one always carries it.
 */
export class MeterHealth {
  lastSuccess: string | null = null;
  consecutiveFailures = 0;
  lastError: string | undefined;
  private published = false;

  constructor(
    readonly meter: string,
    private readonly location?: MeterLocation,
  ) {}

  /** Returns the state to publish, or null when nothing an operator cares about changed. */
  success(ts: string): MeterState | null {
    const changed = !this.published || this.consecutiveFailures > 0;
    this.lastSuccess = ts;
    this.consecutiveFailures = 0;
    this.lastError = undefined;
    return changed ? this.state(ts) : null;
  }

  failure(ts: string, reason: string): MeterState {
    this.consecutiveFailures++;
    this.lastError = reason.slice(0, 500);
    return this.state(ts);
  }

  state(ts: string): MeterState {
    this.published = true;
    const s: MeterState = {
      v: 1,
      meter: this.meter,
      ts,
      online: this.consecutiveFailures === 0,
      lastSuccess: this.lastSuccess,
      consecutiveFailures: this.consecutiveFailures,
    };
    if (this.lastError) s.error = this.lastError;
    if (this.location) s.location = this.location;
    return s;
  }
}
