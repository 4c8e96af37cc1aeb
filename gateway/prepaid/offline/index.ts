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
