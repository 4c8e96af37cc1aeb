import type { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { encodeCopyText } from './copy-text.js';
import type { PgliteTuning } from './pglite-database.js';
import { deserializeError, type WorkerReply, type WorkerRequest } from './pglite-worker-protocol.js';
import type { QueryOptions, QueryResult, SqlDatabase, SqlExecutor } from './sql-database.js';
import { startTsWorker } from './ts-worker.js';

// Distributes Omit over the request union, so each op keeps its own fields.
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** Waits before a restart after the thread died: 0.1 s, doubling to at most 5 s. */
const RESTART_DELAY_MS = { first: 100, max: 5000 };

/**
 * The embedded PGlite database in a thread of its own. PGlite runs PostgreSQL as WebAssembly on the
 * thread that calls it; on the gateway's thread, every statement (the ingest's COPY and upserts most
 * of all) competes with MQTT, validation and HTTP for one core. In a worker, the database uses the
 * machine's other core while the gateway thread keeps taking readings in. Same contract as
 * PgliteDatabase, which the worker runs.
 *
 * Should the thread die (a WebAssembly trap, running out of memory), every call in flight fails with
 * the reason and a new thread opens the same data directory (PostgreSQL recovers it from its WAL);
 * calls made meanwhile wait for it. What was not committed is lost, as after any crash, and what was
 * committed is there: the callers' retries (ingest batches, jobs) carry on.
 */
export class PgliteWorkerDatabase implements SqlDatabase {
  readonly kind = 'pglite' as const;
  private worker: Worker | undefined;
  /** Set while a thread is starting; calls queue behind it. */
  private starting: Promise<void> | undefined;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 1;
  private nextTx = 1;
  private closed: Error | undefined;
  private restartDelay = RESTART_DELAY_MS.first;
  private restartCount = 0;

  constructor(
    private readonly options: {
      dataDir?: string;
      tuning?: PgliteTuning;
      log?: (level: 'warn' | 'error', message: string) => void;
    } = {},
  ) {}

  async start(): Promise<this> {
    await this.spawn();
    return this;
  }

  /** How many times the thread died and was started again. */
  get restarts(): number {
    return this.restartCount;
  }

  private spawn(): Promise<void> {
    const worker = startTsWorker(new URL('./pglite-worker.ts', import.meta.url), {
      workerData: { dataDir: this.options.dataDir, tuning: this.options.tuning },
      ...(this.options.tuning?.youngGenerationMb
        ? { resourceLimits: { maxYoungGenerationSizeMb: this.options.tuning.youngGenerationMb } }
        : {}),
    });
    this.worker = worker;
    let lastError: Error | undefined;
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
    worker.on('error', (err) => (lastError = err));
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      const why = `the PGlite thread exited (code ${code})${lastError ? `: ${lastError.message}` : ''}`;
      this.failPending(new Error(why));
      if (this.closed) return;
      this.worker = undefined;
      this.restartCount++;
      this.options.log?.('error', `${why}; restarting it in ${this.restartDelay} ms`);
      const delay = this.restartDelay;
      this.restartDelay = Math.min(this.restartDelay * 2, RESTART_DELAY_MS.max);
      this.starting = new Promise<void>((r) => setTimeout(r, delay))
        .then(() => this.spawn())
        .then(() => {
          this.restartDelay = RESTART_DELAY_MS.first;
        })
        .finally(() => {
          this.starting = undefined;
        });
      // A failed restart shows in the calls waiting on it; its thread's exit schedules the next one.
      this.starting.catch(() => {});
    });
    return ready;
  }

  /** Event-loop utilisation of the database thread since `since` (see performance.eventLoopUtilization). */
  eventLoopUtilization(since?: EventLoopUtilization): EventLoopUtilization | undefined {
    return this.worker?.performance.eventLoopUtilization(since);
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call<T>(request: Request): Promise<T> {
    if (this.closed) return Promise.reject(this.closed);
    if (this.starting) return this.starting.then(() => this.call<T>(request));
    if (!this.worker) return Promise.reject(new Error('PgliteWorkerDatabase used before start()'));
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  }

  /** A request with no answer ('begin'); whatever fails shows in the calls that follow it. */
  private post(request: Request): void {
    if (this.closed) return;
    const send = () => this.worker?.postMessage({ ...request, id: this.nextId++ });
    if (this.starting) void this.starting.then(send, () => {});
    else send();
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
    if (this.closed) return;
    await this.starting?.catch(() => {});
    const worker = this.worker;
    if (worker) await this.call<void>({ op: 'close' }).catch(() => {});
    this.closed = new Error('PgliteWorkerDatabase is closed');
    this.worker = undefined;
    await worker?.terminate();
  }
}
