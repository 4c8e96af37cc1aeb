import { sleepPrecise } from '../line-queue.js';
import type { Exchange } from './exchange.js';
import type { ScanResult } from './rtu-framer.js';

/** Bytes kept while waiting for a late answer (larger than the longest frame of either framing). */
const STALE_BYTES = 1024;

/**
 * Silence guard after a timeout, for serial framings (RTU, ASCII; on a line or over TCP). Their read
 * answers carry no address and no transaction id, so the late answer to a timed-out request has the
 * unit, function and length of the next identical request and would be taken for its answer (issue 20
 * bug 2). Once armed, the next request waits until the late answer has been seen (and is discarded)
 * or the link has been quiet for the guard time; bounded by 4 × the guard time so a babbling link
 * cannot stall it forever.
 */
export class LateReplyGuard {
  private unsettled: { req: Exchange; since: number; guardMs: number } | null = null;
  private stale: Buffer = Buffer.alloc(0);
  private lastRxAt = 0;
  private wake: (() => void) | null = null;

  get armed(): boolean {
    return this.unsettled !== null;
  }

  /** `req` timed out: its answer may still arrive within `guardMs`. */
  arm(req: Exchange, guardMs: number): void {
    this.unsettled = { req, since: performance.now(), guardMs };
    this.stale = Buffer.alloc(0);
  }

  /** Any bytes received: the link is not quiet. */
  heard(): void {
    this.lastRxAt = performance.now();
  }

  /** Bytes that arrived while no request was waiting. */
  stray(chunk: Uint8Array): void {
    this.lastRxAt = performance.now();
    this.stale = Buffer.concat([this.stale, chunk]).subarray(-STALE_BYTES);
    this.wake?.();
  }

  /**
   * Waits as described above; true when the late answer was seen. `gapMs` is the silence kept after
   * it (RTU t3.5) before the caller sends.
   */
  async settle(scan: (ex: Exchange, buf: Uint8Array) => ScanResult, gapMs: number): Promise<boolean> {
    const u = this.unsettled;
    if (!u) return false;
    const hardEnd = u.since + 4 * u.guardMs;
    let seen = false;
    for (;;) {
      if (scan(u.req, this.stale).status === 'complete') {
        seen = true;
        if (gapMs > 0) await sleepPrecise(gapMs);
        break;
      }
      const now = performance.now();
      const quietUntil = Math.max(u.since, this.lastRxAt) + u.guardMs;
      if (now >= quietUntil || now >= hardEnd) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, Math.min(quietUntil, hardEnd) - now));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
    this.unsettled = null;
    this.stale = Buffer.alloc(0);
    return seen;
  }
}
