/** One message waiting for its PUBACK. `body` is the JSON payload (a protocol Reading). */
export interface OutboxEntry {
  readonly id: number;
  /** Epoch ms when it was appended (age bound). */
  readonly ts: number;
  readonly topic: string;
  readonly body: Record<string, unknown>;
  /** `body` serialised once at append (or load), so publishing does not stringify again. */
  readonly json: string;
  /** True when it was loaded from disk at start: it survived a restart, so it is a replay. */
  readonly recovered: boolean;
}

export type DropReason = 'max-bytes' | 'max-age' | 'corrupt';

export interface OutboxStats {
  depth: number;
  bytes: number;
  dropped: number;
  droppedByReason: Record<DropReason, number>;
}

/**
 * Durable store-and-forward queue between the poller and the MQTT publisher. The swappable backend
 * of STYLE.md §3: `file-outbox.ts` is the reference implementation, `outbox-conformance.ts` the suite.
 * Entries leave only through `ack` (after PUBACK) or a reported drop (bounds), never silently.
 */
export interface Outbox {
  start(): Promise<void>;
  /** Makes everything appended durable and releases files. */
  stop(): Promise<void>;
  append(topic: string, body: Record<string, unknown>): OutboxEntry;
  /** Oldest-first entries that are not in `skip` (those already in flight). */
  pending(limit: number, skip?: ReadonlySet<number>): OutboxEntry[];
  ack(id: number): void;
  stats(): OutboxStats;
  /** Forces appended entries to stable storage now. */
  flush(): Promise<void>;
}

export type DropListener = (count: number, reason: DropReason) => void;
