import type { RegisterType } from './types.js';

/** Registers (16-bit words) each fixed-width type occupies; a string takes as many as its model says. */
export const REGISTER_COUNT: Readonly<Record<Exclude<RegisterType, 'string'>, number>> = {
  bit: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

export const REGISTER_TYPES: readonly RegisterType[] = [
  ...Object.keys(REGISTER_COUNT),
  'string',
] as RegisterType[];

/** Width of a type; a string's width is its `registers`. */
export function registerCount(type: RegisterType, stringRegisters = 1): number {
  return type === 'string' ? stringRegisters : REGISTER_COUNT[type];
}

/** Registers a resolved point occupies. */
export function pointWidth(p: { type: RegisterType; registers?: number }): number {
  return p.registers ?? registerCount(p.type);
}
