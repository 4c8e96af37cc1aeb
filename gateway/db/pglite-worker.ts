// The thread side of PgliteWorkerDatabase: one PgliteDatabase, driven by messages from the owner.
import { parentPort, workerData } from 'node:worker_threads';
import { PgliteDatabase } from './pglite-database.js';
import type { SqlExecutor } from './sql-database.js';
import type { WorkerReply, WorkerRequest } from './pglite-worker-protocol.js';
import { serializeError } from './pglite-worker-protocol.js';

const port = parentPort!;
const db = new PgliteDatabase({ dataDir: (workerData as { dataDir?: string }).dataDir });

/** Open transactions: their executor and the end signal the owner sends. */
const transactions = new Map<number, { tx: SqlExecutor; end: (commit: boolean) => void }>();
/** Each open transaction's settlement (commit, rollback, or failure). */
const ends = new Map<number, Promise<void>>();
const ROLLBACK = Symbol('rollback');

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

function begin(id: number, txId: number): void {
  let opened = false;
  const done = db.transaction(
    (tx) =>
      new Promise<void>((resolve, reject) => {
        opened = true;
        transactions.set(txId, {
          tx,
          end: (commit) => (commit ? resolve() : reject(ROLLBACK)),
        });
        reply({ id, ok: true, value: null });
      }),
  );
  done.then(
    () => transactions.delete(txId),
    (err) => {
      transactions.delete(txId);
      // BEGIN itself failed: the owner is still waiting for the begin answer.
      if (!opened) reply({ id, ok: false, error: serializeError(err) });
    },
  );
  ends.set(txId, done);
}

port.on('message', (m: WorkerRequest) => {
  switch (m.op) {
    case 'query': {
      const target = m.tx === undefined ? db : transactions.get(m.tx)?.tx;
      if (!target) {
        reply({ id: m.id, ok: false, error: { message: `transaction ${m.tx} is not open` } });
        return;
      }
      void answer(m.id, () => target.query(m.text, m.params, m.options));
      return;
    }
    case 'begin':
      begin(m.id, m.tx);
      return;
    case 'end': {
      const t = transactions.get(m.tx);
      const done = ends.get(m.tx);
      ends.delete(m.tx);
      t?.end(m.commit);
      void answer(m.id, async () => {
        try {
          await done;
        } catch (err) {
          if (err !== ROLLBACK) throw err;
        }
        return null;
      });
      return;
    }
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
