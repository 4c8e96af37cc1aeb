// @ts-check
/* global indexedDB */
/**
 * What the offline sales page keeps on the phone, in its own IndexedDB database (apart from the
 * reading rounds): `keys` the sealed store of sealed-keys.js (the device's non-extractable AES-GCM
 * key and each meter's decoder key sealed under it: nothing in clear), `state` the vending device
 * between two sales (allowance, TIDs, month positions, sequence: no key), `sales` every sale made
 * on the phone, keyed (device, seq), with the centre's answer once synchronised.
 */

/**
 * @typedef {{
 *   key: string, deviceId: string, allowanceId: string, seq: number, meterId: string,
 *   amount: number, units: number, tid: number, token: string, soldAt: string,
 *   state: 'pending'|'accepted'|'duplicate'|'overspend'|'price-mismatch'|'conflict'|'unknown-meter'|'tid-used',
 *   expectedUnits?: number
 * }} QueuedSale
 */

const DB_NAME = 'metergate-vend';
const VERSION = 1;
/** @typedef {'keys'|'state'|'sales'} Store */

/** @type {Promise<IDBDatabase> | undefined} */
let opened;

function open() {
  opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains('keys')) db.createObjectStore('keys');
      if (!db.objectStoreNames.contains('state')) db.createObjectStore('state');
      if (!db.objectStoreNames.contains('sales')) db.createObjectStore('sales', { keyPath: 'key' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return opened;
}

/**
 * Several requests in one transaction, settled when it commits: a sale and the device state it
 * moved on are on disk together, or neither is (the token is shown only after).
 * @template T
 * @param {Store[]} stores
 * @param {IDBTransactionMode} mode
 * @param {(tx: IDBTransaction) => IDBRequest<T> | void} op
 * @returns {Promise<T | undefined>}
 */
export async function inTransaction(stores, mode, op) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    const req = op(tx);
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** @returns {Promise<any>} */
export const getValue = (/** @type {Store} */ store, /** @type {string} */ key) =>
  inTransaction([store], 'readonly', (tx) => tx.objectStore(store).get(key));

export const putValue = (/** @type {Store} */ store, /** @type {string} */ key, /** @type {any} */ value) =>
  inTransaction([store], 'readwrite', (tx) => {
    tx.objectStore(store).put(value, key);
  });

/** The vending device as last kept (see OfflineVendingDevice.snapshot), or undefined. */
export const loadDevice = () => getValue('state', 'device');

/**
 * A sale, the device state after it and the phone's sale counter (which outlives allowances), in
 * one transaction: a sequence number once shown on a receipt is never handed out again.
 * @param {any} state
 * @param {QueuedSale} sale
 */
export const saveSale = (state, sale) =>
  inTransaction(['state', 'sales'], 'readwrite', (tx) => {
    tx.objectStore('state').put(state, 'device');
    tx.objectStore('state').put({ deviceId: sale.deviceId, seq: sale.seq }, 'identity');
    tx.objectStore('sales').put(sale);
  });

/** The allowance leaves the phone (its keys are wiped by the sealed store). */
export const forgetDevice = () =>
  inTransaction(['state'], 'readwrite', (tx) => {
    tx.objectStore('state').delete('device');
  });

export const saveDevice = (/** @type {any} */ state) => putValue('state', 'device', state);

/** @returns {Promise<QueuedSale[]>} */
export const allSales = async () =>
  /** @type {QueuedSale[]} */ (
    (await inTransaction(['sales'], 'readonly', (tx) => tx.objectStore('sales').getAll())) ?? []
  );

/**
 * The centre's answers and the device state that forgot the acknowledged sales, together.
 * @param {any} state
 * @param {QueuedSale[]} sales
 */
export const saveAnswers = (state, sales) =>
  inTransaction(['state', 'sales'], 'readwrite', (tx) => {
    tx.objectStore('state').put(state, 'device');
    for (const s of sales) tx.objectStore('sales').put(s);
  });
