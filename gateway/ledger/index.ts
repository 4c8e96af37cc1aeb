export { LEDGER_MIGRATIONS } from './migrations.js';
export { LedgerErrorCodes } from './errors.js';
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
  ProgrammeInput,
  type MeterRow,
} from './registry.js';
