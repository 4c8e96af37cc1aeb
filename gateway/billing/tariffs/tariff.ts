import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * A prepaid tariff as data. Blocks ("tranches") are monthly and progressive: a meter's cumulative
 * purchases in the calendar month (its "position") decide which block the next unit falls in, the
 * way utilities publish block tariffs for prepayment (each purchase continues where the month's
 * earlier purchases stopped). `socialPrice` on a block applies to customers flagged social.
 * Prices are per unit (kWh or m³) excluding tax; `taxRate` applies to energy and fixed charges.
 */
export const TariffBlock = Type.Object(
  {
    /** Upper bound of the block in units per month; null = no bound (last block). */
    upTo: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()]),
    price: Type.Number({ minimum: 0 }),
    socialPrice: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);

export const TariffDefinition = Type.Object(
  {
    blocks: Type.Array(TariffBlock, { minItems: 1, maxItems: 20 }),
    /** Fixed charge per calendar month, collected from the month's first purchases. */
    fixedMonthly: Type.Number({ minimum: 0, default: 0 }),
    taxRate: Type.Number({ minimum: 0, maximum: 1, description: 'e.g. 0.18 for 18 % VAT' }),
    minPurchase: Type.Number({ minimum: 0, default: 0 }),
    maxPurchase: Type.Number({ exclusiveMinimum: 0 }),
    /** Money per unit used to value emergency-credit advances (debt); default: first block price incl. tax. */
    advanceUnitValue: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type TariffDefinition = Static<typeof TariffDefinition>;

export interface Tariff {
  id: string;
  name: string;
  supply: 'electricity' | 'water' | 'gas';
  currency: string;
  definition: TariffDefinition;
  example: boolean;
}

export function validateTariffDefinition(
  raw: unknown,
): { ok: true; value: TariffDefinition } | { ok: false; reason: string } {
  const value = Value.Default(TariffDefinition, structuredClone(raw));
  const first = Value.Errors(TariffDefinition, value).First();
  if (first) return { ok: false, reason: `tariff ${first.path || '/'}: ${first.message}` };
  const def = value as TariffDefinition;
  let last = 0;
  def.blocks.forEach((b, i) => {
    if (b.upTo === null && i !== def.blocks.length - 1) last = NaN;
    else if (b.upTo !== null) last = b.upTo > last ? b.upTo : NaN;
  });
  if (Number.isNaN(last))
    return {
      ok: false,
      reason: 'tariff /blocks: upTo must increase and only the last block may be unbounded',
    };
  if (def.blocks[def.blocks.length - 1]!.upTo !== null) {
    return { ok: false, reason: 'tariff /blocks: the last block must be unbounded (upTo null)' };
  }
  if (def.minPurchase > def.maxPurchase)
    return { ok: false, reason: 'tariff: minPurchase exceeds maxPurchase' };
  return { ok: true, value: def };
}

/**
 * EXAMPLE tariff, shaped like the Moroccan residential prepaid electricity schedule (progressive
 * monthly tranches, a cheaper social first tranche, 18 % VAT). The numbers are illustrative, NOT
 * an official ONEE/ANRE price list: load the utility's published tariff as data before real use.
 */
export const EXAMPLE_ELECTRICITY_TARIFF: Tariff = {
  id: 'example-electricity-ma',
  name: 'EXAMPLE residential electricity (illustrative numbers, not an official tariff)',
  supply: 'electricity',
  currency: 'MAD',
  example: true,
  definition: {
    blocks: [
      { upTo: 100, price: 0.901, socialPrice: 0.7 },
      { upTo: 150, price: 1.0732 },
      { upTo: 210, price: 1.0732 },
      { upTo: 310, price: 1.1676 },
      { upTo: 510, price: 1.3817 },
      { upTo: null, price: 1.5958 },
    ],
    fixedMonthly: 5,
    taxRate: 0.18,
    minPurchase: 10,
    maxPurchase: 5000,
  },
};
