import { defineModel } from '../define-model.js';
import { activePower, current, energyExport, energyImport, frequency, SCALE, voltage } from '../points.js';

/** Janitza B23 (holding registers, float32, high word first). Energy is in Wh on the wire, power in W. */
export const JANITZA_B23 = defineModel({
  model: 'janitza-b23',
  vendor: 'Janitza',
  description: 'B23 three-phase energy meter',
  phases: 3,
  defaults: { function: 3, wordOrder: 'big', type: 'float32' },
  extend: [
    voltage({ phases: 3, address: 0x4a38 }),
    current({ phases: 3, address: 0x4a44 }),
    activePower({ address: 0x4a52, scale: SCALE.W_TO_KW }),
    frequency({ address: 0x4a6a }),
    energyImport({ address: 0x4a7c, scale: SCALE.WH_TO_KWH }),
    energyExport({ address: 0x4a84, scale: SCALE.WH_TO_KWH }),
  ],
});
