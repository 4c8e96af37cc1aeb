// The thread side of PgliteWorkerDatabase: one PgliteDatabase, driven by messages from the owner.
import { parentPort, workerData } from 'node:worker_threads';
import { PgliteDatabase, type PgliteTuning } from './pglite-database.js';
import type { SqlExecutor } from './sql-database.js';
import { serializeError, type WorkerReply, type WorkerRequest } from './pglite-worker-protocol.js';

const port = parentPort!;
const { dataDir, tuning } = workerData as { dataDir?: string; tuning?: PgliteTuning };
const db = new PgliteDatabase({ dataDir, sharedBuffersMb: tuning?.sharedBuffersMb });
const ROLLBACK = Symbol('rollback');

/**
 * One transaction opened for the owner. The owner does not wait for BEGIN: its statements queue on
 * `open` and a failed BEGIN fails them. `settled` is the transaction's outcome once ended.
 */
class OwnedTransaction {
  readonly open: Promise<SqlExecutor>;
  readonly settled: Promise<void>;
  private finish!: (commit: boolean) => void;

  constructor() {
    let opened!: (tx: SqlExecutor) => void;
    let failed!: (err: unknown) => void;
    this.open = new Promise((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    this.open.catch(() => {});
    this.settled = db.transaction(
      (tx) =>
        new Promise<void>((resolve, reject) => {
          this.finish = (commit) => (commit ? resolve() : reject(ROLLBACK));
          opened(tx);
        }),
    );
    this.settled.catch(failed);
  }

  /** Commit or roll back; resolves when done (a rollback asked for is not an error). */
  async end(commit: boolean): Promise<void> {
    await this.open;
    this.finish(commit);
    try {
      await this.settled;
    } catch (err) {
      if (err !== ROLLBACK) throw err;
    }
  }
}

const transactions = new Map<number, OwnedTransaction>();

function reply(message: WorkerReply): void {
  port.postMessage(message);
}

async function answer(id: number, work: () => Promise<unknown>): Promise<void> {
  try {
    reply({ id, ok: true, value: await work() });
  } catch (err) {
    reply({ id, ok: false, error: serializeError(err) });
  }
}

async function endTransaction(txId: number, commit: boolean): Promise<void> {
  const t = transactions.get(txId);
  if (!t) throw new Error(`transaction ${txId} is not open`);
  transactions.delete(txId);
  await t.end(commit);
}

port.on('message', (m: WorkerRequest) => {
  switch (m.op) {
    case 'query':
      if (m.tx === undefined) {
        void answer(m.id, () => db.query(m.text, m.params, m.options));
        return;
      }
      void answer(m.id, async () => {
        const t = transactions.get(m.tx!);
        if (!t) throw new Error(`transaction ${m.tx} is not open`);
        if (!m.options?.lastInTransaction) return (await t.open).query(m.text, m.params, m.options);
        // The body's last statement ends the transaction here, so the owner needs no 'end' trip:
        // committed before the answer, or rolled back and the statement's error answered.
        let result;
        try {
          result = await (await t.open).query(m.text, m.params, m.options);
        } catch (err) {
          await endTransaction(m.tx!, false).catch(() => undefined);
          throw err;
        }
        await endTransaction(m.tx!, true);
        return result;
      });
      return;
    case 'begin':
      transactions.set(m.tx, new OwnedTransaction());
      return;
    case 'end':
      void answer(m.id, () => endTransaction(m.tx, m.commit));
      return;
    case 'exec':
      void answer(m.id, () => db.exec(m.sql));
      return;
    case 'copy':
      void answer(m.id, () => db.copyText(m.table, m.columns, m.text));
      return;
    case 'close':
      void answer(m.id, () => db.close());
      return;
  }
});

await db.start();
reply({ id: 0, ok: true, value: 'ready' });
