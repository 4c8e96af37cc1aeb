import { lookupObis } from '../../protocol/index.js';
import type { ByteOrder, ReadFunction, RegisterType, WordOrder } from './types.js';

/**
 * Register building blocks: factories with overridable defaults (zigbee-herdsman-converters
 * `modernExtend` style), so a model file reads like its datasheet. Units come from the OBIS
 * registry; `scale` converts the meter's raw unit into it (W → kW is 0.001).
 */
export interface PointSpec {
  readonly obis: string;
  readonly address: number;
  readonly function?: ReadFunction;
  readonly type?: RegisterType;
  readonly wordOrder?: WordOrder;
  readonly byteOrder?: ByteOrder;
  readonly scale?: number;
  readonly unit?: string;
  readonly notAvailable?: 'max';
}

/** Options every factory accepts; anything not given falls back to the model defaults. */
export type PointArgs = Omit<PointSpec, 'obis'>;

/** Phase-indexed OBIS codes (IEC 62056-61: C = 32/52/72 voltage, 31/51/71 current …). */
const PHASE_OBIS = {
  voltage: ['1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0'],
  current: ['1-0:31.7.0', '1-0:51.7.0', '1-0:71.7.0'],
  power: ['1-0:21.7.0', '1-0:41.7.0', '1-0:61.7.0'],
  powerFactor: ['1-0:33.7.0', '1-0:53.7.0', '1-0:73.7.0'],
} as const;

/** Scale factors from common raw units to the OBIS units. */
export const SCALE = {
  W_TO_KW: 0.001,
  WH_TO_KWH: 0.001,
  VAR_TO_KVAR: 0.001,
  VA_TO_KVA: 0.001,
} as const;

export function numeric(obis: string, args: PointArgs): PointSpec[] {
  const unit = args.unit ?? lookupObis(obis)?.unit ?? '';
  return [{ ...args, obis, unit }];
}

export const energyImport = (args: PointArgs) => numeric('1-0:1.8.0', args);
export const energyExport = (args: PointArgs) => numeric('1-0:2.8.0', args);
export const activePower = (args: PointArgs) => numeric('1-0:1.7.0', args);
export const activePowerExport = (args: PointArgs) => numeric('1-0:2.7.0', args);
export const apparentPower = (args: PointArgs) => numeric('1-0:9.7.0', args);
export const reactivePower = (args: PointArgs) => numeric('1-0:3.7.0', args);
export const powerFactor = (args: PointArgs) => numeric('1-0:13.7.0', args);
export const frequency = (args: PointArgs) => numeric('1-0:14.7.0', args);

export interface PhaseArgs extends PointArgs {
  /** 1 or 3 phases (L1 only, or L1..L3). */
  readonly phases: 1 | 3;
  /** Registers between the phases; defaults to the register width of the type (contiguous). */
  readonly stride?: number;
}

function perPhase(codes: readonly string[], { phases, stride, ...args }: PhaseArgs): PointSpec[] {
  const step = stride ?? (args.type === 'int16' || args.type === 'uint16' ? 1 : 2);
  return codes
    .slice(0, phases)
    .flatMap((code, i) => numeric(code, { ...args, address: args.address + i * step }));
}

export const voltage = (args: PhaseArgs) => perPhase(PHASE_OBIS.voltage, args);
export const current = (args: PhaseArgs) => perPhase(PHASE_OBIS.current, args);
export const phasePower = (args: PhaseArgs) => perPhase(PHASE_OBIS.power, args);
export const phasePowerFactor = (args: PhaseArgs) => perPhase(PHASE_OBIS.powerFactor, args);
