export {
  TariffDefinition,
  TariffBlock,
  validateTariffDefinition,
  EXAMPLE_ELECTRICITY_TARIFF,
  type Tariff,
} from './tariff.js';
export {
  unitsForEnergyMoney,
  priceForUnits,
  splitPurchase,
  priceUnitsPurchase,
  recoveryFor,
  type BlockLine,
  type EnergyResult,
  type PurchaseBreakdown,
  type RecoveryPolicy,
} from './pricing.js';
