export {
  grantAdvance,
  DEFAULT_MAX_ADVANCE_UNITS,
  DEFAULT_OUTSTANDING_LIMIT,
  type AdvanceRequest,
} from './advance.js';
export { customerStatement, type Statement } from './statement.js';
export { meterAdvanceAccount } from './meter-advance.js';
