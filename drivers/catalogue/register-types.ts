import type { RegisterType } from './types.js';

/** Registers (16-bit words) each type occupies. */
export const REGISTER_COUNT: Readonly<Record<RegisterType, number>> = {
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  uint64: 4,
};

export function registerCount(type: RegisterType): number {
  return REGISTER_COUNT[type];
}

export const REGISTER_TYPES = Object.keys(REGISTER_COUNT) as RegisterType[];
