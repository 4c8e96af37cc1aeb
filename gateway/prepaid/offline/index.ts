export {
  provisionAllowance,
  syncOffline,
  closeAllowance,
  type OfflineAllowance,
  type OfflineMeterMaterial,
  type OfflineVend,
  type SyncOutcome,
} from './offline.js';
export { OfflineVendingDevice, memorySecurityModule, type OfflineSecurityModule } from './device.js';
