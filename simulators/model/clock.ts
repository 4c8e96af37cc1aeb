/**
 * Simulated time: starts at `start` (ms since epoch) and runs `acceleration` times faster than the
 * wall clock; `fastForward` jumps ahead. Meters read the clock, so one clock can drive a whole fleet.
 */
export interface SimClockOptions {
  /** Simulated instant at creation (default: the wall clock). */
  readonly start?: number;
  /** Simulated ms per real ms (default 1). */
  readonly acceleration?: number;
  /** Wall-clock source, injectable for tests. */
  readonly wallClock?: () => number;
}

export interface Clock {
  now(): number;
}

export class SimClock implements Clock {
  private readonly options: SimClockOptions;
  private origin: { wall: number; sim: number } | undefined;

  constructor(options: SimClockOptions = {}) {
    this.options = options;
  }

  get acceleration(): number {
    return this.options.acceleration ?? 1;
  }

  private wall(): number {
    return (this.options.wallClock ?? Date.now)();
  }

  now(): number {
    // The origin is fixed on first use, so creating a clock does no work.
    this.origin ??= { wall: this.wall(), sim: this.options.start ?? this.wall() };
    return this.origin.sim + (this.wall() - this.origin.wall) * this.acceleration;
  }

  /** Jump ahead by `ms` of simulated time. */
  fastForward(ms: number): void {
    const now = this.now();
    this.origin = { wall: this.wall(), sim: now + Math.max(0, ms) };
  }
}
