import { defineModel } from '../define-model.js';
import {
  activePower,
  current,
  energyExport,
  energyImport,
  frequency,
  powerFactor,
  SCALE,
  voltage,
} from '../points.js';

/** Eastron SDM120: the SDM630 layout for one phase (input registers, float32, high word first). */
export const SDM120 = defineModel({
  model: 'sdm120',
  vendor: 'Eastron',
  description: 'SDM120 single-phase DIN-rail energy meter',
  phases: 1,
  defaults: { function: 4, wordOrder: 'big', type: 'float32' },
  extend: [
    voltage({ phases: 1, address: 0x00 }),
    current({ phases: 1, address: 0x06 }),
    // Single phase: the L1 power register is the total.
    activePower({ address: 0x0c, scale: SCALE.W_TO_KW }),
    powerFactor({ address: 0x1e }),
    frequency({ address: 0x46 }),
    energyImport({ address: 0x48 }),
    energyExport({ address: 0x4a }),
  ],
});
