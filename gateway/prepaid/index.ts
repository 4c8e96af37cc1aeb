// The prepaid domain's public entry: other domains and the composition root import only this file.
export * from './advances/index.js';
export * from './ledger/index.js';
export * from './management/index.js';
export * from './vending/index.js';
export * from './vendors/index.js';
export * from './operations/index.js';
export * from './offline/index.js';
