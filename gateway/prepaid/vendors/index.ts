export { upsertVendor, getVendor, recordFloatMovement, VendorInput, type Movement } from './vendors.js';
export { openShift, closeShift, shiftZReport, agencyZReport, type ZReport } from './shifts.js';
