import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { toBasisPoints, toP4 } from './rounding.js';

/**
 * A postpaid tariff in money, as data. Prices are in the tariff currency per unit (kWh or m³)
 * excluding tax, with at most 4 decimals; amounts are computed under the one rounding rule of
 * rounding.ts. A tariff has versions with effective dates (tariff-store.ts); this is one version.
 *
 * - `blocks`: progressive monthly blocks ("tranches"); the last is unbounded.
 * - `selective`: above `above` units in a month, the WHOLE month is priced at the rate of the block
 *   the consumption reached (the rule Moroccan residential electricity tariffs apply above 150 kWh).
 * - `lifeline`: a social block — a month at or under `upTo` units is priced entirely at `price`
 *   (for every contract, or only contracts flagged social when `socialOnly`).
 * - `fixedCharges`: per calendar month (meter rental, service fee), prorated by days.
 * - `levies`: per-unit taxes other than VAT; `vat`: whether VAT applies on top of them.
 * - `vatRate`: VAT on every line subject to it.
 */
const Label = Type.Object(
  { fr: Type.String({ minLength: 1 }), ar: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);
const Price = Type.Number({ minimum: 0, maximum: 100_000 });

export const MoneyTariffDefinition = Type.Object(
  {
    unit: Type.Union([Type.Literal('kWh'), Type.Literal('m3')]),
    blocks: Type.Array(
      Type.Object(
        { upTo: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]), price: Price },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 20 },
    ),
    selective: Type.Optional(
      Type.Object({ above: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
    ),
    lifeline: Type.Optional(
      Type.Object(
        { upTo: Type.Integer({ minimum: 1 }), price: Price, socialOnly: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
    ),
    fixedCharges: Type.Array(
      Type.Object(
        {
          code: Type.String({ pattern: '^[A-Z0-9_]{1,20}$' }),
          label: Label,
          monthly: Price,
          vat: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
      { maxItems: 10, default: [] },
    ),
    levies: Type.Array(
      Type.Object(
        {
          code: Type.String({ pattern: '^[A-Z0-9_]{1,20}$' }),
          label: Label,
          perUnit: Price,
          vat: Type.Boolean(),
        },
        { additionalProperties: false },
      ),
      { maxItems: 10, default: [] },
    ),
    vatRate: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);
export type MoneyTariffDefinition = Static<typeof MoneyTariffDefinition>;

export interface MoneyTariffVersion {
  id: string;
  effectiveFrom: string;
  name: string;
  service: 'electricity' | 'water';
  currency: string;
  example: boolean;
  definition: MoneyTariffDefinition;
}

export function validateMoneyTariff(
  raw: unknown,
): { ok: true; value: MoneyTariffDefinition } | { ok: false; reason: string } {
  const value = Value.Default(MoneyTariffDefinition, structuredClone(raw));
  const first = Value.Errors(MoneyTariffDefinition, value).First();
  if (first) return { ok: false, reason: `${first.path || '/'}: ${first.message}` };
  const def = value as MoneyTariffDefinition;
  let last = 0;
  for (const [i, b] of def.blocks.entries()) {
    if (b.upTo === null && i !== def.blocks.length - 1)
      return { ok: false, reason: '/blocks: only the last block may be unbounded' };
    if (b.upTo !== null && b.upTo <= last) return { ok: false, reason: '/blocks: upTo must increase' };
    if (b.upTo !== null) last = b.upTo;
  }
  if (def.blocks[def.blocks.length - 1]!.upTo !== null)
    return { ok: false, reason: '/blocks: the last block must be unbounded (upTo null)' };
  try {
    for (const p of [
      ...def.blocks.map((b) => b.price),
      ...def.fixedCharges.map((f) => f.monthly),
      ...def.levies.map((l) => l.perUnit),
      def.lifeline?.price ?? 0,
    ])
      toP4(p);
    toBasisPoints(def.vatRate);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  return { ok: true, value: def };
}

/**
 * EXAMPLE tariff, SHAPED like a Moroccan residential low-voltage electricity tariff (six monthly
 * tranches, the selective rule above 150 kWh, meter rental and service fee, VAT, a per-kWh levy,
 * a social tranche). The numbers are ILLUSTRATIVE, not an official ONEE/ANRE/distributor price
 * list: load the utility's published tariff as data before real use.
 */
export const EXAMPLE_POSTPAID_ELECTRICITY: MoneyTariffVersion = {
  id: 'example-postpaid-electricity-ma',
  effectiveFrom: '2020-01-01',
  name: 'EXEMPLE — électricité résidentielle BT (chiffres illustratifs, tarif non officiel)',
  service: 'electricity',
  currency: 'MAD',
  example: true,
  definition: {
    unit: 'kWh',
    blocks: [
      { upTo: 100, price: 0.901 },
      { upTo: 150, price: 1.0732 },
      { upTo: 210, price: 1.0732 },
      { upTo: 310, price: 1.1676 },
      { upTo: 510, price: 1.3817 },
      { upTo: null, price: 1.5958 },
    ],
    selective: { above: 150 },
    lifeline: { upTo: 100, price: 0.8, socialOnly: true },
    fixedCharges: [
      {
        code: 'LOCATION',
        label: {
          fr: 'Location et entretien compteur',
          ar: 'كراء وصيانة العداد',
          en: 'Meter rental and upkeep',
        },
        monthly: 4.5,
        vat: true,
      },
      {
        code: 'SERVICE',
        label: { fr: 'Redevance de service', ar: 'إتاوة الخدمة', en: 'Service fee' },
        monthly: 3.2,
        vat: true,
      },
    ],
    levies: [
      {
        code: 'TPPAN',
        label: {
          fr: 'Taxe audiovisuelle (par kWh)',
          ar: 'الرسم السمعي البصري (لكل كيلوواط ساعة)',
          en: 'Broadcasting levy (per kWh)',
        },
        perUnit: 0.0118,
        vat: false,
      },
    ],
    vatRate: 0.18,
  },
};

/** The same tariff from 2026-07-01 with the higher tranches raised (to exercise proration). */
export const EXAMPLE_POSTPAID_ELECTRICITY_2026: MoneyTariffVersion = {
  ...EXAMPLE_POSTPAID_ELECTRICITY,
  effectiveFrom: '2026-07-01',
  definition: {
    ...EXAMPLE_POSTPAID_ELECTRICITY.definition,
    blocks: [
      { upTo: 100, price: 0.901 },
      { upTo: 150, price: 1.0732 },
      { upTo: 210, price: 1.0732 },
      { upTo: 310, price: 1.2126 },
      { upTo: 510, price: 1.4267 },
      { upTo: null, price: 1.6408 },
    ],
  },
};

/** EXAMPLE water tariff (illustrative numbers, m³, 7 % VAT). */
export const EXAMPLE_POSTPAID_WATER: MoneyTariffVersion = {
  id: 'example-postpaid-water-ma',
  effectiveFrom: '2020-01-01',
  name: 'EXEMPLE — eau potable résidentielle (chiffres illustratifs, tarif non officiel)',
  service: 'water',
  currency: 'MAD',
  example: true,
  definition: {
    unit: 'm3',
    blocks: [
      { upTo: 6, price: 2.37 },
      { upTo: 20, price: 6.69 },
      { upTo: 40, price: 9.02 },
      { upTo: null, price: 9.5 },
    ],
    fixedCharges: [
      {
        code: 'LOCATION',
        label: { fr: 'Location compteur eau', ar: 'كراء عداد الماء', en: 'Water meter rental' },
        monthly: 3.6,
        vat: true,
      },
    ],
    levies: [],
    vatRate: 0.07,
  },
};
