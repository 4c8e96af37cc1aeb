/**
 * The vending console's offline mode, for the browser: the device logic (allowance, TIDs,
 * sequence), the STS EA11 credit-token minting and the centre's month pricing, bundled by
 * scripts/gen-offline-vend-bundle.ts into dashboards/web/agent/offline-vend.js. Nothing here (nor
 * anything it imports and keeps) may need Node: the bundle is built for the browser and the build
 * fails on a `node:` import. The keys never pass through this module's state: the console's sealed
 * security module (dashboards/web/agent/sealed-keys.js) unseals one key to call
 * `mintCreditWithKey`, then zeroes it.
 */
export {
  OfflineVendingDevice,
  mintCreditWithKey,
  cryptoRandomBelow,
  type OfflineSecurityModule,
  type DeviceState,
  type MintProfile,
} from './device.js';
export { priceInMonth, positionAfter } from '../vending/month-pricing.js';
export { hexToBytes } from '../../../token-engine/index.js';
