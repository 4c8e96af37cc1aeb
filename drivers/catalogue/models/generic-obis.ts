import { defineModel } from '../define-model.js';
import { numeric, type PointSpec } from '../points.js';

/**
 * A generic OBIS map for gateways and meters that expose values by OBIS code: holding registers,
 * float32 high word first, already in OBIS units, laid out two registers per code in this order
 * from address 0. Adding a code at the end keeps every existing address stable.
 */
export const GENERIC_OBIS_ORDER = [
  '1-0:1.8.0',
  '1-0:2.8.0',
  '1-0:1.7.0',
  '1-0:2.7.0',
  '1-0:32.7.0',
  '1-0:52.7.0',
  '1-0:72.7.0',
  '1-0:31.7.0',
  '1-0:51.7.0',
  '1-0:71.7.0',
  '1-0:21.7.0',
  '1-0:41.7.0',
  '1-0:61.7.0',
  '1-0:14.7.0',
  '1-0:13.7.0',
  '1-0:1.8.1',
  '1-0:1.8.2',
  '1-0:3.7.0',
  '1-0:9.7.0',
] as const;

export const GENERIC_OBIS = defineModel({
  model: 'generic-obis',
  vendor: 'generic',
  description: 'OBIS-ordered float32 holding-register map (already in OBIS units)',
  phases: 3,
  defaults: { function: 3, wordOrder: 'big', type: 'float32' },
  extend: GENERIC_OBIS_ORDER.map((code, i): PointSpec[] => numeric(code, { address: 2 * i })),
});
