// @ts-check
/* global crypto, TextEncoder */
/**
 * The console's security module for offline sales (OfflineSecurityModule: load, mintCredit, wipe),
 * on WebCrypto. MISTY1, the STS EA11 cipher, is not a WebCrypto algorithm, so a decoder key cannot
 * itself live in a CryptoKey: each one is sealed (AES-GCM, 256-bit, the meter id as additional
 * data) under a device key generated here as a non-extractable CryptoKey and kept in IndexedDB
 * (structured clone keeps it non-extractable: no script, this one included, can read its bytes).
 * To mint, one decoder key is unsealed into memory, the token minted, and the bytes zeroed. Never
 * in localStorage, never logged, never read back by anything else. What this does not stop: see
 * gateway/prepaid/offline/THREAT-MODEL.md.
 */
import { hexToBytes, mintCreditWithKey } from './offline-vend.js';
import { getValue, inTransaction, putValue } from './vend-db.js';

const DEVICE_KEY = 'device-key';
const sealedName = (/** @type {string} */ meterId) => `meter:${meterId}`;
const aad = (/** @type {string} */ meterId) => new TextEncoder().encode(meterId);

/** @returns {Promise<CryptoKey>} the device key, created (non-extractable) on first use */
async function deviceKey() {
  /** @type {CryptoKey | undefined} */
  const kept = await getValue('keys', DEVICE_KEY);
  if (kept) return kept;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  await putValue('keys', DEVICE_KEY, key);
  return key;
}

export function sealedSecurityModule() {
  return {
    /**
     * Seal each meter's decoder key; the clear bytes are zeroed once sealed. The caller drops the
     * hex strings of the provisioning answer (a JavaScript string cannot be zeroed).
     * @param {{ meterId: string, decoderKey: string, ken: number, supply: 'electricity'|'water'|'gas' }[]} meters
     */
    async load(meters) {
      const key = await deviceKey();
      /** @type {[string, any][]} */
      const sealed = [];
      for (const m of meters) {
        const raw = hexToBytes(m.decoderKey);
        const iv = crypto.getRandomValues(new Uint8Array(12));
        try {
          const box = await crypto.subtle.encrypt(
            { name: 'AES-GCM', iv, additionalData: aad(m.meterId) },
            key,
            raw,
          );
          sealed.push([sealedName(m.meterId), { iv, box, ken: m.ken, supply: m.supply }]);
        } finally {
          raw.fill(0);
        }
      }
      await inTransaction(['keys'], 'readwrite', (tx) => {
        for (const [name, value] of sealed) tx.objectStore('keys').put(value, name);
      });
    },

    /**
     * @param {string} meterId
     * @param {number} units
     * @param {number} tid
     * @returns {Promise<string>} the 20 digits
     */
    async mintCredit(meterId, units, tid) {
      /** @type {CryptoKey | undefined} */
      const key = await getValue('keys', DEVICE_KEY);
      const sealed = await getValue('keys', sealedName(meterId));
      if (!key || !sealed) throw new Error(`meter ${meterId} is not provisioned on this device`);
      const raw = new Uint8Array(
        await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: sealed.iv, additionalData: aad(meterId) },
          key,
          sealed.box,
        ),
      );
      try {
        return mintCreditWithKey(raw, sealed, units, tid);
      } finally {
        raw.fill(0);
      }
    },

    /** Forget every sealed key and the device key (allowance closed, expired, device lost). */
    async wipe() {
      await inTransaction(['keys'], 'readwrite', (tx) => {
        tx.objectStore('keys').clear();
      });
    },
  };
}
