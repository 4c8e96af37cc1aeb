export {
  PaygDevice,
  MAX_WAIT_EXPONENT,
  type PaygDeviceOptions,
  type PaygDeviceSnapshot,
  type PaygEntryResult,
  type PaygStatus,
} from './payg-device.js';
