import { isConsumptionRegister, lookupObis } from '../../../protocol/index.js';
import type { RegisterSource } from '../rollups/index.js';

/** A validated reading as stored: timestamps are normalised to milliseconds (JS Date precision). */
export interface StoredReading {
  meterId: string;
  ts: Date;
  seq: number;
  values: Record<string, number>;
  quality: string;
  source: string;
  historical: boolean;
}

export const RESOLUTIONS = ['raw', '1m', '5m', '15m', '1h', '1d'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const RESOLUTION_MS: Record<Exclude<Resolution, 'raw'>, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

/**
 * Whether a bucket takes a value's newest reading (its maximum: these only grow) rather than its mean:
 * cumulative registers, and their billing-period values (`1-0:1.8.0*01`, IEC 62056-61 §5.7), whose
 * mean across a period's end would be a value the meter never held.
 */
export function bucketTakesNewest(code: string): boolean {
  return isConsumptionRegister(code) || lookupObis(code)?.kind === 'billing';
}

export interface ReadingQuery {
  meterId: string;
  /** from <= ts < to */
  from: Date;
  to: Date;
  /** 'raw' rows, or buckets: registers and billing-period values take the bucket's maximum (the newest), others the mean. */
  resolution?: Resolution;
  limit?: number;
}

export interface ReadingRow {
  ts: Date;
  values: Record<string, number>;
  /** raw rows only */
  seq?: number;
  quality?: string;
  /** bucketed rows: readings in the bucket */
  count?: number;
}

/**
 * A time-series store for readings. Writes are upserts on (meterId, ts): a redelivered or replayed
 * reading replaces itself, never duplicates. Three implementations (PGlite, PostgreSQL, InfluxDB v1
 * HTTP API) pass the same conformance suite (conformance.ts). It is also the rollups' register source.
 */
export interface ReadingStore extends RegisterSource {
  readonly kind: 'pglite' | 'postgres' | 'influx';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Durable when the promise resolves; throws when the store is unavailable (the caller retries). */
  write(readings: readonly StoredReading[]): Promise<void>;
  readings(query: ReadingQuery): Promise<ReadingRow[]>;
  /** Stored readings of one meter (all meters when omitted). */
  count(query?: { meterId?: string }): Promise<number>;
  /** Raw-reading retention: delete readings older than `before` (InfluxDB does it with its retention policy). */
  prune(before: Date): Promise<void>;
}
