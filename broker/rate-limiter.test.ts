import { describe, expect, it } from 'vitest';
import { LruCache } from './decision-cache.js';
import { TokenBucketLimiter } from './rate-limiter.js';

describe('TokenBucketLimiter', () => {
  it('allows a burst, then refills at the configured rate, per key', () => {
    let t = 0;
    const l = new TokenBucketLimiter({ perSecond: 2, burst: 3, now: () => t });
    expect([1, 2, 3, 4].map(() => l.take('a'))).toEqual([true, true, true, false]);
    expect(l.take('b')).toBe(true);
    t = 499;
    expect(l.take('a')).toBe(false);
    t = 500;
    expect(l.take('a')).toBe(true);
    t = 10_000;
    expect([1, 2, 3, 4].map(() => l.take('a'))).toEqual([true, true, true, false]);
  });
  it('stays bounded: sweeps full buckets and refuses new keys when full of active ones', () => {
    let t = 0;
    const l = new TokenBucketLimiter({ perSecond: 1, burst: 2, maxKeys: 3, now: () => t });
    for (const k of ['a', 'b', 'c']) l.take(k);
    expect(l.take('d')).toBe(false);
    t = 5000;
    expect(l.take('d')).toBe(true);
    expect(l.size).toBe(1);
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const c = new LruCache<number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.get('a');
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
  });
});
