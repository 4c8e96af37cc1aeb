/**
 * Failed-authentication limiter. A bucket is one (key id, client address) pair for API keys — the
 * id is the public half of `mgk_<id>_<secret>` — and the address alone for anything else (JWTs,
 * malformed credentials). A bucket with `max` failures inside `windowMs` is refused (429) until its
 * window ends. A valid key is never locked by someone else's failures: another address has its own
 * bucket, and another key id from the same address too.
 */
export interface FailedAuthLimit {
  max: number;
  windowMs: number;
}

const KEY_ID = /^mgk_([0-9a-f]{16})_/;
const MAX_BUCKETS = 100_000;

export function limiterBucket(cred: { kind: 'key' | 'jwt'; value: string } | undefined, ip: string): string {
  const id = cred?.kind === 'key' ? KEY_ID.exec(cred.value)?.[1] : undefined;
  return id ? `key:${id}|${ip}` : `ip:${ip}`;
}

export class FailedAuthLimiter {
  private readonly buckets = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly limit: FailedAuthLimit | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  locked(bucket: string): boolean {
    if (!this.limit) return false;
    const b = this.buckets.get(bucket);
    return !!b && b.until > this.now() && b.count >= this.limit.max;
  }

  fail(bucket: string): void {
    if (!this.limit) return;
    const now = this.now();
    const b = this.buckets.get(bucket);
    if (b && b.until > now) {
      b.count++;
      return;
    }
    // Bounded memory under a flood of addresses: expired buckets go first, then the oldest.
    if (this.buckets.size >= MAX_BUCKETS) {
      for (const [k, v] of this.buckets) if (v.until <= now) this.buckets.delete(k);
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(bucket, { count: 1, until: now + this.limit.windowMs });
  }
}
