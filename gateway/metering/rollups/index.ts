export {
  SqlRollupStore,
  ROLLUP_QUALITIES,
  toDay,
  type RollupStore,
  type RollupQuality,
  type DailyRow,
  type DailyPoint,
  type MonthlyPoint,
  type SeriesQuery,
} from './rollup-store.js';
export { ROLLUP_MIGRATIONS } from './migrations.js';
export { RollupEngine, type RegisterSource, type RegisterSample } from './rollup-engine.js';
export { splitAcrossDays, foldPoints, registerDelta, dayOf, type RegisterPoint } from './daily-split.js';
