import { hashString, uniform } from './random.js';

/**
 * Per-meter fault injection. Each request draws (deterministically, from the seed and a request
 * counter) which faults apply; transports turn the decision into bytes on the wire:
 * - `no-reply`: the request is swallowed;
 * - `late-reply`: the answer is held back `delayMs`;
 * - `busy`: Modbus exception 6, server device busy (Modbus application protocol §7);
 * - `bad-crc`: the RTU answer's CRC is corrupted (over TCP, which has no CRC, the MBAP protocol id is
 *   corrupted instead, so the frame is still invalid rather than silently wrong);
 * - `slow-bytes`: the answer goes out one byte at a time, `byteDelayMs` apart;
 * - `offline`: no reply at all during a window, `startMs` after the first request, for `durationMs`,
 *   repeating every `periodMs` if given.
 */
export const FAULT_KINDS = ['no-reply', 'late-reply', 'busy', 'bad-crc', 'slow-bytes', 'offline'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  readonly kind: FaultKind;
  /** Chance per request, 0..1 (default 1; ignored by `offline`). */
  readonly probability?: number;
  readonly delayMs?: number;
  readonly byteDelayMs?: number;
  readonly startMs?: number;
  readonly durationMs?: number;
  readonly periodMs?: number;
}

export interface FaultDecision {
  readonly drop: boolean;
  readonly delayMs: number;
  readonly busy: boolean;
  readonly corrupt: boolean;
  /** 0 = send the answer in one write. */
  readonly byteDelayMs: number;
}

export const NO_FAULT: FaultDecision = Object.freeze({
  drop: false,
  delayMs: 0,
  busy: false,
  corrupt: false,
  byteDelayMs: 0,
});

export const DEFAULT_LATE_MS = 2000;
export const DEFAULT_BYTE_DELAY_MS = 5;

export interface FaultInjectorOptions {
  readonly faults?: readonly FaultSpec[];
  readonly seed?: string | number;
  readonly wallClock?: () => number;
}

export class FaultInjector {
  private readonly options: FaultInjectorOptions;
  private counter = 0;
  private origin: number | undefined;
  private offlineUntil = 0;
  /** Counters of what was injected, for tests and the CLI summary. */
  readonly injected: Record<FaultKind, number> = {
    'no-reply': 0,
    'late-reply': 0,
    busy: 0,
    'bad-crc': 0,
    'slow-bytes': 0,
    offline: 0,
  };

  constructor(options: FaultInjectorOptions = {}) {
    this.options = options;
  }

  private wall(): number {
    return (this.options.wallClock ?? Date.now)();
  }

  /** Take the meter off the line for `ms` of wall-clock time from now. */
  goOffline(ms: number): void {
    this.offlineUntil = Math.max(this.offlineUntil, this.wall() + ms);
  }

  isOffline(): boolean {
    const now = this.wall();
    this.origin ??= now;
    if (now < this.offlineUntil) return true;
    for (const f of this.options.faults ?? []) {
      if (f.kind !== 'offline') continue;
      const since = now - this.origin - (f.startMs ?? 0);
      if (since < 0) continue;
      const inPeriod = f.periodMs ? since % f.periodMs : since;
      if (inPeriod < (f.durationMs ?? Infinity)) return true;
    }
    return false;
  }

  /** What to do with the next request. */
  decide(): FaultDecision {
    const faults = this.options.faults ?? [];
    if (this.isOffline()) {
      this.injected.offline++;
      return { ...NO_FAULT, drop: true };
    }
    if (faults.length === 0) return NO_FAULT;
    const key = hashString(String(this.options.seed ?? 0));
    const n = this.counter++;
    let drop = false;
    let delayMs = 0;
    let busy = false;
    let corrupt = false;
    let byteDelayMs = 0;
    faults.forEach((f, i) => {
      if (f.kind === 'offline') return;
      if (uniform(key, n, i) >= (f.probability ?? 1)) return;
      this.injected[f.kind]++;
      if (f.kind === 'no-reply') drop = true;
      else if (f.kind === 'late-reply') delayMs += f.delayMs ?? DEFAULT_LATE_MS;
      else if (f.kind === 'busy') busy = true;
      else if (f.kind === 'bad-crc') corrupt = true;
      else byteDelayMs = f.byteDelayMs ?? DEFAULT_BYTE_DELAY_MS;
    });
    return { drop, delayMs, busy, corrupt, byteDelayMs };
  }
}
