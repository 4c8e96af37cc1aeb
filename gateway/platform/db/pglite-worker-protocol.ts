import type { QueryOptions } from './sql-database.js';

/**
 * Messages from PgliteWorkerDatabase to its thread; each is answered by a WorkerReply with its id,
 * except 'begin' (a failed BEGIN fails the transaction's statements instead). A query marked
 * `lastInTransaction` commits its transaction before it is answered.
 */
export type WorkerRequest =
  | { op: 'query'; id: number; text: string; params: unknown[]; options?: QueryOptions; tx?: number }
  | { op: 'begin'; id: number; tx: number }
  | { op: 'end'; id: number; tx: number; commit: boolean }
  | { op: 'exec'; id: number; sql: string }
  | { op: 'copy'; id: number; table: string; columns: readonly string[]; text: string }
  | { op: 'close'; id: number };

export type WorkerReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

/** What crosses the thread boundary of a database error: structured clone keeps only message. */
export interface SerializedError {
  message: string;
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
  column?: string;
}

const KEPT = ['code', 'detail', 'constraint', 'table', 'column'] as const;

export function serializeError(err: unknown): SerializedError {
  const e = err as Record<string, unknown>;
  const out: SerializedError = { message: err instanceof Error ? err.message : String(err) };
  for (const k of KEPT) if (typeof e?.[k] === 'string') out[k] = e[k] as string;
  return out;
}

export function deserializeError(s: SerializedError): Error {
  return Object.assign(new Error(s.message), s);
}
