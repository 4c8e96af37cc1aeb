// @ts-check
/* global indexedDB */
/**
 * What the phone keeps in IndexedDB, so a round can be walked with no network and survive a reload
 * or a closed app: the rounds as last loaded (walking order, expected ranges) and the queue of
 * indexes typed in. One queue entry per round and meter (`key`); its `readAt`, fixed when the index
 * is typed, is what makes a retried sync harmless: the server answers the same (round, meter,
 * readAt) a second time with the first answer and stores nothing more.
 */

/**
 * @typedef {{
 *   key: string, round: string, meter: string, index: number, readAt: string,
 *   anomaly?: string, position?: { lat: number, lon: number }, photo?: string,
 *   state: 'pending'|'accepted'|'implausible'|'rejected', reason?: string
 * }} QueuedReading
 */

const DB_NAME = 'metergate-agent';
const VERSION = 1;

/** @type {Promise<IDBDatabase> | undefined} */
let opened;

function open() {
  opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('rounds')) db.createObjectStore('rounds', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('readings')) db.createObjectStore('readings', { keyPath: 'key' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opened;
}

/**
 * One request in its own transaction, as a promise that settles when the transaction commits (so a
 * write is on disk before the page says "saved").
 * @template T
 * @param {'rounds'|'readings'} store
 * @param {IDBTransactionMode} mode
 * @param {(s: IDBObjectStore) => IDBRequest<T>} op
 * @returns {Promise<T>}
 */
async function run(store, mode, op) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const req = op(tx.objectStore(store));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** @param {any} round the round as GET /api/reading-rounds/:id answers */
export const saveRound = (round) => run('rounds', 'readwrite', (s) => s.put(round));
/** @returns {Promise<any>} */
export const loadRound = (/** @type {string} */ id) => run('rounds', 'readonly', (s) => s.get(id));
/** @returns {Promise<any[]>} */
export const loadRounds = () => run('rounds', 'readonly', (s) => s.getAll());
/** Rounds no longer assigned (closed, reassigned) leave the phone, with nothing pending on them. */
export const dropRound = (/** @type {string} */ id) => run('rounds', 'readwrite', (s) => s.delete(id));

/** @param {QueuedReading} reading */
export const putReading = (reading) => run('readings', 'readwrite', (s) => s.put(reading));
/** @returns {Promise<QueuedReading[]>} */
export const allReadings = () => run('readings', 'readonly', (s) => s.getAll());

export async function pendingCount() {
  return (await allReadings()).filter((r) => r.state === 'pending').length;
}
