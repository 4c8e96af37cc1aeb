export { KeyVault, KEYS_MIGRATIONS, type VaultKind, type VaultEntryInfo } from './vault.js';
export {
  AesGcmSecurityModule,
  parseMasterKey,
  type SecurityModule,
  type SealedBlob,
  type AesGcmSecurityModuleOptions,
} from './security-module.js';
export { KeyVaultError, KEYS_ERRORS, type KeysErrorCode } from './errors.js';
