/**
 * Token bucket per key (a source address): `burst` connections at once, refilled at `perSecond`.
 * Buckets idle long enough to be full again are dropped, so memory stays bounded by the addresses
 * seen in the last `burst / perSecond` seconds, and never beyond `maxKeys`.
 */
export interface RateLimiterOptions {
  perSecond: number;
  burst: number;
  maxKeys?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly options: RateLimiterOptions) {
    this.now = options.now ?? (() => performance.now());
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Take one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const { perSecond, burst } = this.options;
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(t);
      // Still full after a sweep: refuse rather than grow without bound.
      if (this.buckets.size >= this.maxKeys) return false;
      b = { tokens: burst, at: t };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
      b.at = t;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drop buckets that would be full by now: they carry no information. */
  sweep(t = this.now()): void {
    const { perSecond, burst } = this.options;
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * perSecond >= burst) this.buckets.delete(k);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
