export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay randomised: 1 = "full jitter", 0 = none. */
  jitter?: number;
  random?: () => number;
}

/**
 * Exponential backoff with jitter ("Exponential Backoff And Jitter", AWS architecture blog, 2015):
 * delay = min(max, base·2^attempt), then up to `jitter` of it drawn at random so that a fleet of
 * meters that failed together does not retry in lock-step.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.5));
  const random = opts.random ?? Math.random;
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(30, Math.max(0, attempt)));
  return Math.round(exp * (1 - jitter) + exp * jitter * random());
}
