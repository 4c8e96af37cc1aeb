import { defineModel } from '../define-model.js';
import {
  activePower,
  current,
  energyExport,
  energyImport,
  frequency,
  phasePower,
  phasePowerFactor,
  powerFactor,
  voltage,
} from '../points.js';

/**
 * Carlo Gavazzi EM24 (input registers, INT32 with the LEAST significant word first, fixed-point).
 * V ÷10, A ÷1000, W ÷10 (→ kW: ×0.0001), PF ÷1000, Hz ÷10, kWh ÷10.
 */
export const EM24 = defineModel({
  model: 'em24',
  vendor: 'Carlo Gavazzi',
  description: 'EM24 three-phase energy analyser',
  phases: 3,
  defaults: { function: 4, wordOrder: 'little', type: 'int32' },
  extend: [
    voltage({ phases: 3, address: 0x00, scale: 0.1 }),
    current({ phases: 3, address: 0x0c, scale: 0.001 }),
    phasePower({ phases: 3, address: 0x12, scale: 0.0001 }),
    activePower({ address: 0x28, scale: 0.0001 }),
    phasePowerFactor({ phases: 3, address: 0x32, type: 'int16', scale: 0.001 }),
    powerFactor({ address: 0x35, type: 'int16', scale: 0.001 }),
    frequency({ address: 0x37, type: 'int16', scale: 0.1 }),
    energyImport({ address: 0x42, scale: 0.1 }),
    energyExport({ address: 0x5c, scale: 0.1 }),
  ],
});
