import type { SqlDatabase } from '../../platform/index.js';

export interface DeadLetter {
  topic: string;
  /** MG_ERR_… code of the rejection */
  code: string;
  reason: string;
  payload: Buffer;
}

export interface StoredDeadLetter {
  id: number;
  receivedAt: Date;
  topic: string;
  code: string;
  reason: string;
  /** The raw payload as text, cut at `maxPayloadChars`; NUL bytes escaped (PostgreSQL text cannot hold them). */
  payload: string;
  payloadBytes: number;
}

export interface DeadLetterStoreOptions {
  db: SqlDatabase;
  /** Rows kept; older ones are pruned (default 10,000). The counters stay exact regardless. */
  maxRows?: number;
  maxPayloadChars?: number;
}

const MAX_TEXT = 500;
const NUL = String.fromCharCode(0);

/** Rejected ingest messages with their reason and (truncated) raw payload, in a bounded SQL table. */
export class DeadLetterStore {
  private readonly db: SqlDatabase;
  readonly maxRows: number;
  private readonly maxPayloadChars: number;
  private sincePrune = 0;

  constructor(options: DeadLetterStoreOptions) {
    this.db = options.db;
    this.maxRows = options.maxRows ?? 10_000;
    this.maxPayloadChars = options.maxPayloadChars ?? 1024;
  }

  private text(payload: Buffer): string {
    return payload
      .subarray(0, this.maxPayloadChars * 4)
      .toString('utf8')
      .slice(0, this.maxPayloadChars)
      .replaceAll(NUL, '\\u0000');
  }

  async add(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const list = letters.slice(-this.maxRows);
    await this.db.query(
      `INSERT INTO ingest_dead_letters (topic, code, reason, payload, payload_bytes)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[])`,
      [
        list.map((l) => l.topic.slice(0, MAX_TEXT).replaceAll(NUL, '\\u0000')),
        list.map((l) => l.code),
        list.map((l) => l.reason.slice(0, MAX_TEXT).replaceAll(NUL, '\\u0000')),
        list.map((l) => this.text(l.payload)),
        list.map((l) => l.payload.byteLength),
      ],
    );
    this.sincePrune += letters.length;
    if (this.sincePrune >= Math.max(100, this.maxRows / 10)) await this.prune();
  }

  async prune(): Promise<void> {
    this.sincePrune = 0;
    await this.db.query(
      `DELETE FROM ingest_dead_letters WHERE id <= (SELECT max(id) FROM ingest_dead_letters) - $1`,
      [this.maxRows],
    );
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*) AS n FROM ingest_dead_letters');
    return rows[0]?.n ?? 0;
  }

  async recent(limit = 100): Promise<StoredDeadLetter[]> {
    const { rows } = await this.db.query<{
      id: number;
      received_at: Date;
      topic: string;
      code: string;
      reason: string;
      payload: string;
      payload_bytes: number;
    }>('SELECT * FROM ingest_dead_letters ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map((r) => ({
      id: r.id,
      receivedAt: r.received_at,
      topic: r.topic,
      code: r.code,
      reason: r.reason,
      payload: r.payload,
      payloadBytes: r.payload_bytes,
    }));
  }
}
