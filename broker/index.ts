export {
  MetergateBroker,
  createMetergateBroker,
  type MetergateBrokerOptions,
  type BrokerLimits,
  type BrokerLogger,
} from './broker.js';
export {
  BrokerError,
  BrokerErrorCodes,
  REFUSAL_REASONS,
  type BrokerErrorCode,
  type RefusalReason,
} from './errors.js';
export { ROLES, isRole, makeIdentity, type Role, type DeviceIdentity } from './identity.js';
export { decidePublish, decideSubscribe, type AclDecision } from './acl.js';
export {
  FileCredentialStore,
  parseCredentials,
  type CredentialStore,
  type CredentialRecord,
} from './credential-store.js';
export {
  credentialStoreConformance,
  type ConformanceCheck,
  type CredentialStoreFactory,
} from './credential-store-conformance.js';
export { hashPassword, verifyPassword, SCRYPT_DEFAULTS } from './password-hash.js';
export { TokenBucketLimiter, type RateLimiterOptions } from './rate-limiter.js';
export { BrokerMetrics, type BrokerStats } from './metrics.js';
export { createRedisBackends, DEFAULT_REDIS_KEY_PREFIX, type RedisClusterOptions } from './clustering.js';
export { IndexedMemoryPersistence } from './indexed-memory-persistence.js';
export {
  CA_FILES,
  initCa,
  issueDeviceCertificate,
  issueServerCertificate,
  revokeCertificate,
  readRevoked,
  RevocationList,
  identityFromCertificate,
  type IssuedCertificate,
  type IssueDeviceOptions,
  type InitCaOptions,
} from './device-ca.js';
export type { TlsListenerOptions } from './listeners.js';
