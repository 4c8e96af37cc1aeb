import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXAMPLE_POSTPAID_ELECTRICITY as T,
  validateMoneyTariff,
  type MoneyTariffVersion,
} from './money-tariff.js';
import { priceSegment } from './price-month.js';
import { allocate, pricePeriod, sumLines } from './price-period.js';
import { divRound, formatCentimes, lineAmount, vatOf } from './rounding.js';

const july = (consumption: number, tariff: MoneyTariffVersion = T) => ({
  month: '2025-07',
  from: '2025-07-01',
  to: '2025-07-31',
  days: 31,
  monthDays: 31,
  tariff,
  consumption,
});
const energy = (lines: ReturnType<typeof priceSegment>) => lines.filter((l) => l.kind === 'energy');

describe('rounding rule (integer centimes, half away from zero at line level)', () => {
  it('rounds halves away from zero and symmetrically for credits', () => {
    expect(divRound(5, 10)).toBe(1);
    expect(divRound(4, 10)).toBe(0);
    expect(divRound(-5, 10)).toBe(-1);
    expect(divRound(15, 10)).toBe(2);
    expect(lineAmount(20, 10732)).toBe(2146); // 20 × 1.0732 = 21.464 MAD
    expect(lineAmount(1, 50)).toBe(1); // 0.005 MAD → 1 centime
    expect(vatOf(2146, 1800)).toBe(386); // 386.28
    expect(vatOf(-2146, 1800)).toBe(-386);
    expect(formatCentimes(123456)).toBe('1 234,56');
    expect(formatCentimes(-5, 'en')).toBe('-0.05');
  });
});

describe('example tariff (Moroccan-shaped, illustrative)', () => {
  it('is valid data', () => expect(validateMoneyTariff(T.definition).ok).toBe(true));

  it('prices progressive blocks under the selective threshold, HT/VAT/TTC per line', () => {
    const lines = priceSegment(july(120));
    expect(energy(lines).map((l) => [l.code, l.quantity, l.ht, l.tax, l.ttc])).toEqual([
      ['BLOCK_1', 100, 9010, 1622, 10632],
      ['BLOCK_2', 20, 2146, 386, 2532],
    ]);
    const levy = lines.find((l) => l.kind === 'levy')!;
    expect([levy.ht, levy.tax]).toEqual([142, 0]); // 120 × 0.0118 = 1.416, no VAT
    const fixed = lines.filter((l) => l.kind === 'fixed').map((l) => [l.code, l.ht, l.tax]);
    expect(fixed).toEqual([
      ['LOCATION', 450, 81],
      ['SERVICE', 320, 58],
    ]);
    for (const l of lines) expect(l.ttc).toBe(l.ht + l.tax);
  });

  it('applies the selective rule above 150 kWh: the whole month at the reached block', () => {
    expect(energy(priceSegment(july(150))).map((l) => l.code)).toEqual(['BLOCK_1', 'BLOCK_2']);
    expect(energy(priceSegment(july(200))).map((l) => [l.code, l.quantity, l.ht])).toEqual([
      ['BLOCK_3', 200, 21464],
    ]);
    expect(energy(priceSegment(july(250))).map((l) => [l.code, l.quantity, l.ht])).toEqual([
      ['BLOCK_4', 250, 29190],
    ]);
    expect(energy(priceSegment(july(900))).map((l) => [l.code, l.ht])).toEqual([['BLOCK_6', 143622]]);
  });

  it('gives social contracts the lifeline block up to 100 kWh, others the normal blocks', () => {
    expect(energy(priceSegment(july(80), { social: true })).map((l) => [l.code, l.ht])).toEqual([
      ['LIFELINE', 6400],
    ]);
    expect(energy(priceSegment(july(80))).map((l) => [l.code, l.ht])).toEqual([['BLOCK_1', 7208]]);
    expect(energy(priceSegment(july(101), { social: true })).map((l) => l.code)).toEqual([
      'BLOCK_1',
      'BLOCK_2',
    ]);
  });

  it('charges fixed charges even at zero consumption, prorated by days', () => {
    const lines = priceSegment({ ...july(0), from: '2025-07-17', days: 15 });
    expect(lines.map((l) => [l.code, l.ht])).toEqual([
      ['LOCATION', 218], // 4.50 × 15 / 31 = 2.177
      ['SERVICE', 155], // 3.20 × 15 / 31 = 1.548
    ]);
  });

  it('prorates a month across a tariff change (blocks, fixed charges by days)', () => {
    const v2: MoneyTariffVersion = {
      ...T,
      effectiveFrom: '2025-07-17',
      definition: {
        ...T.definition,
        blocks: T.definition.blocks.map((b) => ({ ...b, price: b.price + 0.1 })),
      },
    };
    const p = pricePeriod({ from: '2025-07-01', to: '2025-07-31', versions: [T, v2], consumption: 310 });
    const froms = [...new Set(p.lines.map((l) => l.tariffFrom))];
    expect(froms).toEqual(['2020-01-01', '2025-07-17']);
    const e = energy(p.lines);
    expect(e.map((l) => l.quantity).reduce((a, b) => a + b)).toBe(310);
    expect(e.map((l) => l.quantity)).toEqual([160, 150]); // 310 × 16/31, 310 × 15/31
    const fixed = p.lines.filter((l) => l.code === 'LOCATION').reduce((s, l) => s + l.ht, 0);
    expect(Math.abs(fixed - 450)).toBeLessThanOrEqual(1);
    expect(p.ttc).toBe(p.ht + p.tax);
  });

  it('spreads a bimonthly consumption over its months by days', () => {
    const p = pricePeriod({ from: '2025-01-01', to: '2025-02-28', versions: [T], consumption: 590 });
    expect(p.months.map((m) => [m.month, m.consumption])).toEqual([
      ['2025-01', 310],
      ['2025-02', 280],
    ]);
  });

  it('refuses a tariff with decimals beyond 1/10 000 or unordered blocks', () => {
    expect(validateMoneyTariff({ ...T.definition, vatRate: 0.123456 }).ok).toBe(false);
    expect(
      validateMoneyTariff({
        ...T.definition,
        blocks: [
          { upTo: 10, price: 1 },
          { upTo: 5, price: 1 },
          { upTo: null, price: 1 },
        ],
      }).ok,
    ).toBe(false);
    expect(
      validateMoneyTariff({
        ...T.definition,
        blocks: [
          { upTo: 10, price: 1.00001 },
          { upTo: null, price: 1 },
        ],
      }).ok,
    ).toBe(false);
  });
});

describe('properties', () => {
  const kwh = fc.integer({ min: 0, max: 5000 });

  it('every line: integer centimes, TTC = HT + VAT; totals are sums of lines', () => {
    fc.assert(
      fc.property(kwh, fc.boolean(), (c, social) => {
        const p = pricePeriod({
          from: '2025-03-01',
          to: '2025-04-30',
          versions: [T],
          consumption: c,
          social,
        });
        for (const l of p.lines) {
          expect(Number.isSafeInteger(l.ht) && Number.isSafeInteger(l.tax)).toBe(true);
          expect(l.ttc).toBe(l.ht + l.tax);
        }
        expect(sumLines(p.lines)).toEqual({ ht: p.ht, tax: p.tax, ttc: p.ttc });
        expect(p.months.reduce((s, m) => s + m.consumption, 0)).toBe(c);
      }),
    );
  });

  it('allocate: parts are non-negative integers adding up to the total', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e7 }),
        fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 1, maxLength: 24 }),
        (t, w) => {
          const parts = allocate(t, w);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(t);
          for (const p of parts) expect(Number.isInteger(p) && p >= 0).toBe(true);
        },
      ),
    );
  });

  it('more consumption never costs less in a month', () => {
    fc.assert(
      fc.property(kwh, fc.integer({ min: 1, max: 300 }), (c, more) => {
        const a = sumLines(priceSegment(july(c))).ht;
        const b = sumLines(priceSegment(july(c + more))).ht;
        expect(b).toBeGreaterThanOrEqual(a);
      }),
    );
  });

  it('pricing two months on their own blocks never costs more than their sum in one month', () => {
    fc.assert(
      fc.property(kwh, kwh, (a, b) => {
        const separate =
          sumLines(energy(priceSegment(july(a)))).ht + sumLines(energy(priceSegment(july(b)))).ht;
        const together = sumLines(energy(priceSegment(july(a + b)))).ht;
        expect(separate).toBeLessThanOrEqual(together + 2);
      }),
    );
  });
});
