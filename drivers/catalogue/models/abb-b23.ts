import { defineModel } from '../define-model.js';
import {
  activePower,
  current,
  energyExport,
  energyImport,
  frequency,
  powerFactor,
  voltage,
} from '../points.js';

/**
 * ABB B23 (holding registers, high word first, fixed-point). A register holding the type's maximum
 * (all ones unsigned, 0x7FFF… signed) means "not available" (ABB B-series Modbus manual).
 * V ÷10, A ÷100, W ÷100 (→ kW: ×0.00001), Hz ÷100, PF ÷1000, kWh ÷100.
 */
const na = { notAvailable: 'max' } as const;

export const ABB_B23 = defineModel({
  model: 'abb-b23',
  vendor: 'ABB',
  description: 'B23 three-phase direct-connected energy meter',
  phases: 3,
  defaults: { function: 3, wordOrder: 'big' },
  extend: [
    energyImport({ address: 0x5000, type: 'uint64', scale: 0.01, ...na }),
    energyExport({ address: 0x5004, type: 'uint64', scale: 0.01, ...na }),
    voltage({ phases: 3, address: 0x5b00, type: 'uint32', scale: 0.1, ...na }),
    current({ phases: 3, address: 0x5b0c, type: 'uint32', scale: 0.01, ...na }),
    activePower({ address: 0x5b14, type: 'int32', scale: 0.00001, ...na }),
    frequency({ address: 0x5b2c, type: 'uint16', scale: 0.01, ...na }),
    powerFactor({ address: 0x5b3a, type: 'int16', scale: 0.001, ...na }),
  ],
});
