import { lookupObis } from '../../protocol/index.js';
import type { DlmsData } from './axdr.js';
import { decodeDateTime } from './date-time.js';
import { toReadingObis } from './obis.js';

/**
 * COSEM values to the project's OBIS-keyed readings. A register (class 3), extended register (4) or
 * demand register (5) value is value × 10^scaler in the DLMS unit of its scaler_unit (Blue Book
 * §4.5.2 unit table); the reading carries the number in the unit the OBIS registry fixes (kWh, kW, V…).
 */
export const DLMS_UNITS: Record<number, { symbol: string; toRegistry?: [string, number] }> = {
  13: { symbol: 'm3', toRegistry: ['m3', 1] },
  27: { symbol: 'W', toRegistry: ['kW', 1e-3] },
  28: { symbol: 'VA', toRegistry: ['kVA', 1e-3] },
  29: { symbol: 'var', toRegistry: ['kvar', 1e-3] },
  30: { symbol: 'Wh', toRegistry: ['kWh', 1e-3] },
  31: { symbol: 'VAh' },
  32: { symbol: 'varh', toRegistry: ['kvarh', 1e-3] },
  33: { symbol: 'A', toRegistry: ['A', 1] },
  35: { symbol: 'V', toRegistry: ['V', 1] },
  44: { symbol: 'Hz', toRegistry: ['Hz', 1] },
  255: { symbol: 'count', toRegistry: ['', 1] },
};

export interface ScalerUnit {
  readonly scaler: number;
  readonly unit: number;
}

export function scalerUnitOf(d: DlmsData): ScalerUnit | undefined {
  if (d.type !== 'structure' || d.value.length !== 2) return undefined;
  const [s, u] = d.value;
  if (s?.type !== 'integer' || u?.type !== 'enum') return undefined;
  return { scaler: s.value, unit: u.value };
}

export function numericValue(d: DlmsData): number | undefined {
  switch (d.type) {
    case 'long64':
    case 'long64-unsigned':
      return Number(d.value);
    case 'boolean':
      return d.value ? 1 : 0;
    case 'double-long':
    case 'double-long-unsigned':
    case 'integer':
    case 'long':
    case 'unsigned':
    case 'long-unsigned':
    case 'enum':
    case 'float32':
    case 'float64':
      return d.value;
    default:
      return undefined;
  }
}

/** One reading value, or undefined when the code is not in the registry or the unit does not convert. */
export function toReadingValue(
  ln: Uint8Array,
  d: DlmsData,
  su: ScalerUnit | undefined,
): { code: string; value: number } | undefined {
  const code = toReadingObis(ln);
  const entry = lookupObis(code);
  const raw = numericValue(d);
  if (!entry || !entry.numeric || raw === undefined) return undefined;
  if (!su) return entry.unit === '' ? { code, value: raw } : undefined;
  const conv = DLMS_UNITS[su.unit]?.toRegistry;
  if (!conv || conv[0] !== entry.unit) return undefined;
  // Round away binary noise of 10^scaler (e.g. 2301 × 0.1 = 230.10000000000002).
  const value = Number((raw * 10 ** su.scaler * conv[1]).toPrecision(12));
  return { code, value };
}

/** A profile buffer row's timestamp: the first clock-typed column (12-byte date-time). */
export function rowTime(row: DlmsData): number | undefined {
  if (row.type !== 'structure') return undefined;
  for (const c of row.value) {
    if ((c.type === 'octet-string' || c.type === 'date-time') && c.value.length === 12) {
      const t = decodeDateTime(c.value);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/**
 * The meter's supply lost or back, as the standard event log records it: the event code object
 * 0-0:96.11.0.255 (class 1, OBIS group F "event code", Blue Book §7.4.x) holds the code of the last
 * event, and the DLMS UA companion specifications (IDIS, DSMR P3) fix code 1 "power down" (the
 * "last gasp" a meter pushes on its stored energy) and 2 "power up".
 */
export const STANDARD_EVENT_CODE_OBIS = '0.0.96.11.0.255';
export const DLMS_EVENT_POWER_DOWN = 1;
export const DLMS_EVENT_POWER_UP = 2;

export type PowerEventKind = 'power.failure' | 'power.restored';

/** The power event an event code value names, or undefined (another event, another object). */
export function powerEventOf(ln: Uint8Array, d: DlmsData): PowerEventKind | undefined {
  if (ln.join('.') !== STANDARD_EVENT_CODE_OBIS) return undefined;
  const code = numericValue(d);
  if (code === DLMS_EVENT_POWER_DOWN) return 'power.failure';
  if (code === DLMS_EVENT_POWER_UP) return 'power.restored';
  return undefined;
}
