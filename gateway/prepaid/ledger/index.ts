export { LEDGER_MIGRATIONS } from './migrations.js';
export { LEDGER_ERRORS, type LedgerErrorCode } from './errors.js';
export {
  createCustomer,
  createMeter,
  upsertTariff,
  upsertProgramme,
  listTariffs,
  getMeter,
  meterView,
  CustomerInput,
  MeterInput,
  MeterKeysInput,
  ProgrammeInput,
  type MeterRow,
} from './registry.js';
