/** Key vault errors. Messages name ids and reasons only, never key bytes or master keys. */
export const KeyErrorCodes = {
  masterKeyMissing: 'MG_ERR_KEYS_MASTER_KEY_MISSING',
  masterKeyInvalid: 'MG_ERR_KEYS_MASTER_KEY_INVALID',
  unknownKeyId: 'MG_ERR_KEYS_UNKNOWN_MASTER_KEY_ID',
  decrypt: 'MG_ERR_KEYS_DECRYPT',
  notFound: 'MG_ERR_KEYS_NOT_FOUND',
  invalidMaterial: 'MG_ERR_KEYS_INVALID_MATERIAL',
} as const;

export class KeyVaultError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'KeyVaultError';
    this.code = code;
  }
}
