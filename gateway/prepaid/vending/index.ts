export { VendingService, type VendingServiceOptions, type VendRequest } from './service.js';
export { vendingPlugin, type VendingPluginOptions } from './routes.js';
export { createVendingFeature, type VendingFeatureOptions } from './feature.js';
export {
  TokenDelivery,
  type TokenDeliveryOptions,
  type TokenPublisher,
  type EventSubscriber,
} from './delivery.js';
export type { IssueResult, IssuedToken } from './ledger-tx.js';
export { TokenMinter } from './minter.js';
export { ledgerBooks, type LedgerBooks } from './books.js';
export { grantAdvance, customerStatement, type AdvanceRequest, type Statement } from '../advances/index.js';
export {
  issueManagementToken,
  changeKeys,
  type ManagementRequest,
  type KeyChangeRequest,
  type KeyChangeOutcome,
} from '../management/index.js';
export { LEDGER_MIGRATIONS } from '../ledger/migrations.js';
export {
  createCustomer,
  createMeter,
  upsertTariff,
  upsertProgramme,
  listTariffs,
  getMeter,
  type CustomerInput,
  type MeterInput,
  type ProgrammeInput,
} from '../ledger/registry.js';
export { KeyVault, AesGcmSecurityModule, type SecurityModule } from '../../platform/index.js';
export { EXAMPLE_ELECTRICITY_TARIFF, type Tariff, type TariffDefinition } from '../../billing/index.js';
