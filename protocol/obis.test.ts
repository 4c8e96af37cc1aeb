import { describe, expect, it } from 'vitest';
import { OBIS_CODE_PATTERN, isConsumptionRegister, lookupObis, obisEntries } from './index.js';

describe('OBIS registry', () => {
  it('fixes the unit of each code listed in METERS.md', () => {
    expect(lookupObis('1-0:1.8.0')).toMatchObject({ unit: 'kWh', kind: 'register', medium: 'electricity' });
    expect(lookupObis('1-0:32.7.0')).toMatchObject({ unit: 'V', kind: 'instantaneous' });
    expect(lookupObis('1-0:14.7.0')?.unit).toBe('Hz');
    expect(lookupObis('8-0:1.0.0')).toMatchObject({ unit: 'm3', medium: 'water' });
    expect(lookupObis('7-0:3.0.0')).toMatchObject({ unit: 'm3', medium: 'gas' });
    expect(lookupObis('0-0:96.1.0')?.numeric).toBe(false);
    expect(lookupObis('9-9:9.9.9')).toBeUndefined();
  });

  it('has unique, well-formed codes', () => {
    const codes = obisEntries().map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    const re = new RegExp(OBIS_CODE_PATTERN);
    for (const c of codes) expect(c).toMatch(re);
  });

  it('knows billing-period values of registers as their own codes (value group F)', () => {
    expect(new RegExp(OBIS_CODE_PATTERN).test('1-0:1.8.0*01')).toBe(true);
    expect(lookupObis('1-0:1.8.0*01')).toMatchObject({ unit: 'kWh', kind: 'billing', numeric: true });
    expect(lookupObis('1-0:32.7.0*01')).toBeUndefined(); // an instantaneous value has no billing period
    expect(isConsumptionRegister('1-0:1.8.0*01')).toBe(false);
  });

  it('knows which codes are cumulative registers', () => {
    expect(isConsumptionRegister('1-0:1.8.0')).toBe(true);
    expect(isConsumptionRegister('8-0:1.0.0')).toBe(true);
    expect(isConsumptionRegister('1-0:1.7.0')).toBe(false);
  });
});
