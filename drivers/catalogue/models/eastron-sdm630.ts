import { defineModel } from '../define-model.js';
import {
  activePower,
  apparentPower,
  current,
  energyExport,
  energyImport,
  frequency,
  phasePower,
  phasePowerFactor,
  powerFactor,
  reactivePower,
  SCALE,
  voltage,
} from '../points.js';

/**
 * Eastron SDM630 Modbus protocol (input registers, IEEE 754 float32, high word first). Power is in
 * W/VA/VAr on the wire, converted to kW/kVA/kvar. The "total kWh" register 0x156 (import + export)
 * has no OBIS code in the registry and is left out on purpose.
 */
export const SDM630 = defineModel({
  model: 'sdm630',
  vendor: 'Eastron',
  description: 'SDM630 three-phase DIN-rail energy meter',
  phases: 3,
  defaults: { function: 4, wordOrder: 'big', type: 'float32' },
  extend: [
    voltage({ phases: 3, address: 0x00 }),
    current({ phases: 3, address: 0x06 }),
    phasePower({ phases: 3, address: 0x0c, scale: SCALE.W_TO_KW }),
    phasePowerFactor({ phases: 3, address: 0x1e }),
    activePower({ address: 0x34, scale: SCALE.W_TO_KW }),
    apparentPower({ address: 0x38, scale: SCALE.VA_TO_KVA }),
    reactivePower({ address: 0x3c, scale: SCALE.VAR_TO_KVAR }),
    powerFactor({ address: 0x3e }),
    frequency({ address: 0x46 }),
    energyImport({ address: 0x48 }),
    energyExport({ address: 0x4a }),
  ],
});
