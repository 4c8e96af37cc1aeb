/**
 * The OBIS registry (IEC 62056-61 naming `A-B:C.D.E`): every numeric value on the wire is keyed by one
 * of these codes and the registry alone fixes its unit, so no payload carries units of its own.
 */
/** `billing`: a register's value stored at the end of billing period F (`1-0:1.8.0*01`, IEC 62056-61 §5.7). */
export type ObisKind = 'register' | 'instantaneous' | 'identity' | 'profile' | 'billing';
export type Medium = 'electricity' | 'water' | 'gas' | 'abstract';

export interface ObisEntry {
  readonly code: string;
  readonly quantity: string;
  readonly unit: string;
  readonly kind: ObisKind;
  readonly medium: Medium;
  /** Numeric codes may appear in a reading's `values`; identity and profile codes may not. */
  readonly numeric: boolean;
  /** Physically possible values [min, max] of the quantity (by unit), for numeric codes. */
  readonly range?: readonly [number, number];
}

/**
 * Physical ranges by unit, wide enough for any metered supply point (direct or CT/VT-connected
 * primary values up to an industrial site) and narrow enough to catch a corrupted value:
 * cumulative registers are never negative; power and current are signed (export).
 */
const PHYSICAL_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  kWh: [0, 1e12],
  kvarh: [0, 1e12],
  m3: [0, 1e10],
  kW: [-1e6, 1e6],
  kvar: [-1e6, 1e6],
  kVA: [0, 1e6],
  A: [-1e5, 1e5],
  V: [0, 1e6],
  Hz: [0, 100],
  'm3/h': [-1e5, 1e5],
};

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

// The optional `*F` suffix is value group F, the billing period (IEC 62056-61 §5.7): `1-0:1.8.0*01`.
export const OBIS_CODE_PATTERN =
  '^[0-9]{1,3}-[0-9]{1,3}:[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(\\*[0-9]{1,3})?$';

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
      ...(PHYSICAL_RANGE[unit] ? { range: PHYSICAL_RANGE[unit] } : {}),
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

const billingCache = new Map<string, ObisEntry>();

/**
 * The entry of a code. A billing-period code `C*F` exists when C is a cumulative register: same unit,
 * kind `billing`, so it is stored as its own value and never taken for the current register.
 */
export function lookupObis(code: string): ObisEntry | undefined {
  const direct = registry.get(code);
  if (direct) return direct;
  const m = /^(.+)\*([0-9]{1,3})$/.exec(code);
  if (!m) return undefined;
  const base = registry.get(m[1]!);
  if (!base || base.kind !== 'register') return undefined;
  let entry = billingCache.get(code);
  if (!entry) {
    entry = Object.freeze({
      ...base,
      code,
      quantity: `${base.quantity}, billing period ${m[2]}`,
      kind: 'billing' as const,
    });
    billingCache.set(code, entry);
  }
  return entry;
}

export function obisEntries(): ObisEntry[] {
  return [...registry.values()];
}

/** The cumulative registers a consumption rollup is computed from (deltas of a monotonic counter). */
export function isConsumptionRegister(code: string): boolean {
  const e = registry.get(code);
  return e !== undefined && e.kind === 'register';
}
