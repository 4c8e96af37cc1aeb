import type { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { encodeCopyText } from './copy-text.js';
import { deserializeError, type WorkerReply, type WorkerRequest } from './pglite-worker-protocol.js';
import type { QueryOptions, QueryResult, SqlDatabase, SqlExecutor } from './sql-database.js';
import { startTsWorker } from './ts-worker.js';

// Distributes Omit over the request union, so each op keeps its own fields.
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/**
 * The embedded PGlite database in a thread of its own. PGlite runs PostgreSQL as WebAssembly on the
 * thread that calls it; on the gateway's thread, every statement (the ingest's COPY and upserts most
 * of all) competes with MQTT, validation and HTTP for one core. In a worker, the database uses the
 * machine's other core while the gateway thread keeps taking readings in. Same contract as
 * PgliteDatabase, which the worker runs; a thread that dies fails every pending and later call.
 */
export class PgliteWorkerDatabase implements SqlDatabase {
  readonly kind = 'pglite' as const;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  private nextTx = 1;
  private failure: Error | undefined;

  constructor(private readonly options: { dataDir?: string } = {}) {}

  async start(): Promise<this> {
    const worker = startTsWorker(new URL('./pglite-worker.ts', import.meta.url), {
      workerData: { dataDir: this.options.dataDir },
    });
    this.worker = worker;
    const ready = new Promise<void>((resolve, reject) => {
      this.pending.set(0, { resolve: () => resolve(), reject });
    });
    worker.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(deserializeError(m.error));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`the PGlite thread exited (code ${code})`)));
    await ready;
    return this;
  }

  /** Event-loop utilisation of the database thread since `since` (see performance.eventLoopUtilization). */
  eventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization | undefined {
    return this.worker?.performance.eventLoopUtilization(since);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  private call<T>(request: Request): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.worker) return Promise.reject(new Error('PgliteWorkerDatabase used before start()'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker!.postMessage({ ...request, id });
    });
  }

  /** A request with no answer ('begin'); whatever fails shows in the calls that follow it. */
  private post(request: Request): void {
    if (!this.failure && this.worker) this.worker.postMessage({ ...request, id: this.nextId++ });
  }

  query<T = Record<string, unknown>>(
    text: string,
    params: unknown[] = [],
    options?: QueryOptions,
  ): Promise<QueryResult<T>> {
    return this.call<QueryResult<T>>({ op: 'query', text, params, options });
  }

  exec(sql: string): Promise<void> {
    return this.call<void>({ op: 'exec', sql });
  }

  async copyRows(
    table: string,
    columns: readonly string[],
    rows: readonly (readonly unknown[])[],
  ): Promise<void> {
    // Encoded here: one string crosses to the thread more cheaply than thousands of row arrays.
    if (rows.length) await this.call<void>({ op: 'copy', table, columns, text: encodeCopyText(rows) });
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const tx = this.nextTx++;
    // Not awaited: the statements queue behind BEGIN in the thread, and one that ends the body
    // (lastInTransaction) commits there too. A vend then costs two trips to the thread, not four.
    this.post({ op: 'begin', tx });
    let ended = false;
    let result: T;
    try {
      result = await fn({
        query: <R>(text: string, params: unknown[] = [], options?: QueryOptions) => {
          if (ended) return Promise.reject(new Error('query after the statement marked lastInTransaction'));
          if (options?.lastInTransaction) ended = true;
          return this.call<QueryResult<R>>({ op: 'query', text, params, options, tx });
        },
      });
    } catch (err) {
      if (!ended) await this.call<void>({ op: 'end', tx, commit: false }).catch(() => undefined);
      throw err;
    }
    if (!ended) await this.call<void>({ op: 'end', tx, commit: true });
    return result;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.failure) {
      this.worker = undefined;
      await worker?.terminate();
      return;
    }
    await this.call<void>({ op: 'close' });
    this.failure = new Error('PgliteWorkerDatabase is closed');
    this.worker = undefined;
    await worker.terminate();
  }
}
