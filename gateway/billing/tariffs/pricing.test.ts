import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  priceForUnits,
  priceUnitsPurchase,
  recoveryFor,
  splitPurchase,
  unitsForEnergyMoney,
} from './pricing.js';
import { EXAMPLE_ELECTRICITY_TARIFF, validateTariffDefinition } from './tariff.js';

const def = EXAMPLE_ELECTRICITY_TARIFF.definition;
const noDebt = { debtCents: 0, policy: { mode: 'percent' as const, value: 25 }, social: false };

describe('block tariff pricing', () => {
  it('fills blocks from the monthly position on', () => {
    // 95 kWh already bought: 5 kWh left in block 1, the rest in block 2.
    const r = priceForUnits(def, 950, 100, false);
    expect(r.lines.map((l) => [l.block, l.units])).toEqual([
      [1, 5],
      [2, 5],
    ]);
    expect(r.cents).toBe(Math.ceil(5 * 90.1 + 5 * 107.32));
    const social = priceForUnits(def, 0, 100, true);
    expect(social.cents).toBe(700); // 10 kWh at the social 0.70
  });

  it('money → units never sells a tenth that was not paid for, and units → money round-trips', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6000 }),
        fc.integer({ min: 1, max: 500_000 }),
        fc.boolean(),
        (pos, cents, social) => {
          const r = unitsForEnergyMoney(def, pos, cents, social);
          expect(r.cents).toBeLessThanOrEqual(cents);
          const price = priceForUnits(def, pos, r.tenths, social);
          expect(price.cents).toBeLessThanOrEqual(cents);
          // One more tenth would cost more than what was left.
          expect(priceForUnits(def, pos, r.tenths + 1, social).cents).toBeGreaterThan(cents - 1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits a payment into recovery, fixed charges, tax and energy that add up exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 500_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 500 }),
        fc.constantFrom(
          { mode: 'percent' as const, value: 25 },
          { mode: 'fixed' as const, value: 12.5 },
          { mode: 'full' as const },
        ),
        (moneyCents, debtCents, fixedDueCents, policy) => {
          const b = splitPurchase(def, {
            moneyCents,
            positionTenths: 0,
            fixedDueCents,
            debtCents,
            policy,
            social: false,
          });
          expect(b.recoveryCents + b.fixedCents + b.taxCents + b.energyCents + b.roundingCents).toBe(
            moneyCents,
          );
          expect(b.recoveryCents).toBeLessThanOrEqual(debtCents);
          expect(b.roundingCents).toBeGreaterThanOrEqual(0);
          expect(b.taxCents).toBe(Math.ceil((b.fixedCents + b.energyCents) * def.taxRate - 1e-9));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('recovers by percentage, fixed amount or in full, never more than owed or paid', () => {
    expect(recoveryFor({ mode: 'percent', value: 25 }, 10_000, 100_000)).toBe(2500);
    expect(recoveryFor({ mode: 'percent', value: 25 }, 10_000, 1_000)).toBe(1000);
    expect(recoveryFor({ mode: 'fixed', value: 12.5 }, 10_000, 100_000)).toBe(1250);
    expect(recoveryFor({ mode: 'full' }, 10_000, 4_321)).toBe(4321);
    expect(recoveryFor({ mode: 'full' }, 1_000, 4_321)).toBe(1000);
    expect(recoveryFor({ mode: 'percent', value: 25 }, 10_000, 0)).toBe(0);
  });

  it('quotes by units including the recovery the purchase will carry', () => {
    const q = priceUnitsPurchase(def, {
      tenths: 500,
      positionTenths: 0,
      fixedDueCents: 0,
      debtCents: 100_000,
      policy: { mode: 'percent', value: 25 },
      social: false,
    });
    const gross = q.energyCents + q.taxCents;
    expect(q.moneyCents).toBe(gross + q.recoveryCents);
    // Recovery is 25 % of the money paid.
    expect(Math.abs(q.recoveryCents - q.moneyCents * 0.25)).toBeLessThanOrEqual(1);
    expect(
      priceUnitsPurchase(def, { tenths: 500, positionTenths: 0, fixedDueCents: 0, ...noDebt }).recoveryCents,
    ).toBe(0);
  });

  it('validates tariff definitions with named problems', () => {
    expect(validateTariffDefinition(def).ok).toBe(true);
    expect(validateTariffDefinition({ ...def, blocks: [{ upTo: 100, price: 1 }] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/unbounded/),
    });
    expect(
      validateTariffDefinition({
        ...def,
        blocks: [
          { upTo: 100, price: 1 },
          { upTo: 50, price: 1 },
          { upTo: null, price: 2 },
        ],
      }),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/increase/),
    });
    expect(validateTariffDefinition({ ...def, taxRate: 18 })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/taxRate/),
    });
    expect(validateTariffDefinition({ ...def, minPurchase: 10_000 })).toMatchObject({ ok: false });
  });
});
