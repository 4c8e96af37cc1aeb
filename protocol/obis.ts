/**
 * The OBIS registry (IEC 62056-61 naming `A-B:C.D.E`): every numeric value on the wire is keyed by one
 * of these codes and the registry alone fixes its unit, so no payload carries units of its own.
 */
export type ObisKind = 'register' | 'instantaneous' | 'identity' | 'profile';
export type Medium = 'electricity' | 'water' | 'gas' | 'abstract';

export interface ObisEntry {
  readonly code: string;
  readonly quantity: string;
  readonly unit: string;
  readonly kind: ObisKind;
  readonly medium: Medium;
  /** Numeric codes may appear in a reading's `values`; identity and profile codes may not. */
  readonly numeric: boolean;
}

type Row = [code: string, quantity: string, unit: string, kind: ObisKind, medium?: Medium];

const ROWS: Row[] = [
  ['1-0:1.8.0', 'active energy import, total', 'kWh', 'register'],
  ['1-0:1.8.1', 'active energy import, tariff 1', 'kWh', 'register'],
  ['1-0:1.8.2', 'active energy import, tariff 2', 'kWh', 'register'],
  ['1-0:2.8.0', 'active energy export, total', 'kWh', 'register'],
  ['1-0:2.8.1', 'active energy export, tariff 1', 'kWh', 'register'],
  ['1-0:2.8.2', 'active energy export, tariff 2', 'kWh', 'register'],
  ['1-0:3.8.0', 'reactive energy import, total', 'kvarh', 'register'],
  ['1-0:4.8.0', 'reactive energy export, total', 'kvarh', 'register'],
  ['1-0:1.7.0', 'active power import', 'kW', 'instantaneous'],
  ['1-0:2.7.0', 'active power export', 'kW', 'instantaneous'],
  ['1-0:3.7.0', 'reactive power import', 'kvar', 'instantaneous'],
  ['1-0:9.7.0', 'apparent power', 'kVA', 'instantaneous'],
  ['1-0:21.7.0', 'active power import L1', 'kW', 'instantaneous'],
  ['1-0:41.7.0', 'active power import L2', 'kW', 'instantaneous'],
  ['1-0:61.7.0', 'active power import L3', 'kW', 'instantaneous'],
  ['1-0:32.7.0', 'voltage L1', 'V', 'instantaneous'],
  ['1-0:52.7.0', 'voltage L2', 'V', 'instantaneous'],
  ['1-0:72.7.0', 'voltage L3', 'V', 'instantaneous'],
  ['1-0:31.7.0', 'current L1', 'A', 'instantaneous'],
  ['1-0:51.7.0', 'current L2', 'A', 'instantaneous'],
  ['1-0:71.7.0', 'current L3', 'A', 'instantaneous'],
  ['1-0:14.7.0', 'frequency', 'Hz', 'instantaneous'],
  ['1-0:13.7.0', 'power factor', '', 'instantaneous'],
  ['1-0:33.7.0', 'power factor L1', '', 'instantaneous'],
  ['1-0:53.7.0', 'power factor L2', '', 'instantaneous'],
  ['1-0:73.7.0', 'power factor L3', '', 'instantaneous'],
  ['0-0:96.1.0', 'meter serial number', '', 'identity', 'abstract'],
  ['1-0:99.1.0', 'load profile (COSEM class 7, profile generic)', '', 'profile'],
  ['8-0:1.0.0', 'water volume, total', 'm3', 'register', 'water'],
  ['8-0:2.0.0', 'water flow rate', 'm3/h', 'instantaneous', 'water'],
  ['7-0:3.0.0', 'gas volume, total', 'm3', 'register', 'gas'],
  ['7-0:43.0.0', 'gas flow rate', 'm3/h', 'instantaneous', 'gas'],
];

function mediumOf(code: string): Medium {
  if (code.startsWith('1-')) return 'electricity';
  if (code.startsWith('8-')) return 'water';
  if (code.startsWith('7-')) return 'gas';
  return 'abstract';
}

export const OBIS_CODE_PATTERN = '^[0-9]{1,3}-[0-9]{1,3}:[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$';

const registry: ReadonlyMap<string, ObisEntry> = new Map(
  ROWS.map(([code, quantity, unit, kind, medium]) => [
    code,
    Object.freeze({
      code,
      quantity,
      unit,
      kind,
      medium: medium ?? mediumOf(code),
      numeric: kind === 'register' || kind === 'instantaneous',
    }),
  ]),
);

export const Obis = {
  /** Import energy register of each medium: the registers consumption is computed from. */
  ENERGY_IMPORT: '1-0:1.8.0',
  ENERGY_EXPORT: '1-0:2.8.0',
  POWER_IMPORT: '1-0:1.7.0',
  VOLTAGE_L1: '1-0:32.7.0',
  FREQUENCY: '1-0:14.7.0',
  WATER_VOLUME: '8-0:1.0.0',
  GAS_VOLUME: '7-0:3.0.0',
} as const;

export function lookupObis(code: string): ObisEntry | undefined {
  return registry.get(code);
}

export function obisEntries(): ObisEntry[] {
  return [...registry.values()];
}

/** The cumulative registers a consumption rollup is computed from (deltas of a monotonic counter). */
export function isConsumptionRegister(code: string): boolean {
  const e = registry.get(code);
  return e !== undefined && e.kind === 'register';
}
