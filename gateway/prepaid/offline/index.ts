export {
  provisionAllowance,
  syncOffline,
  closeAllowance,
  type OfflineAllowance,
  type OfflineMeterMaterial,
  type OfflineVend,
  type SyncOutcome,
} from './offline.js';
export {
  OfflineVendingDevice,
  memorySecurityModule,
  mintCreditWithKey,
  cryptoRandomBelow,
  type OfflineSecurityModule,
  type DeviceState,
  type DeviceMeter,
  type RandomBelow,
} from './device.js';
export {
  listOfflineAnomalies,
  type AnomalyFilter,
  type OfflineAnomaly,
  type OfflineAnomalyKind,
  type OfflineAllowanceAnomalies,
} from './anomalies.js';
