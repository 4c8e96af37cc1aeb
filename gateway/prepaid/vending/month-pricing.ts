import {
  priceUnitsPurchase,
  splitPurchase,
  type PurchaseBreakdown,
  type RecoveryPolicy,
  type TariffDefinition,
} from '../../billing/index.js';

/** A meter's position in its tariff month: units bought and fixed charges collected so far. */
export interface MonthPosition {
  /** YYYY-MM, null before the first purchase. */
  month: string | null;
  units: number;
  fixed: number;
}

/** What prices a purchase for one meter: its tariff, its month so far, its debt and policy. */
export interface PricingContext {
  definition: TariffDefinition;
  position: MonthPosition;
  debtCents: number;
  policy: RecoveryPolicy;
  social: boolean;
}

export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);
const toCents = (x: number): number => Math.round(x * 100);

/**
 * Price a purchase at `at` the one way the centre does (billing's splitPurchase /
 * priceUnitsPurchase, integer centimes and tenths): in the position's month the blocks continue
 * from the units already bought and only the fixed charge not yet collected is due; in a new
 * month both start again. Online vends and offline devices both price through here.
 */
export function priceInMonth(
  ctx: PricingContext,
  at: Date,
  req: { moneyCents: number } | { tenths: number },
): PurchaseBreakdown {
  const def = ctx.definition;
  const sameMonth = ctx.position.month === monthOf(at);
  const common = {
    positionTenths: sameMonth ? Math.round(ctx.position.units * 10) : 0,
    fixedDueCents: Math.max(0, toCents(def.fixedMonthly) - (sameMonth ? toCents(ctx.position.fixed) : 0)),
    debtCents: ctx.debtCents,
    policy: ctx.policy,
    social: ctx.social,
  };
  return 'moneyCents' in req
    ? splitPurchase(def, { ...common, moneyCents: req.moneyCents })
    : priceUnitsPurchase(def, { ...common, tenths: req.tenths });
}

/** The position after a sale of `tenths` at `at` that collected `fixedCents` of fixed charges. */
export function positionAfter(
  p: MonthPosition,
  at: Date,
  tenths: number,
  fixedCents: number,
): MonthPosition & { month: string } {
  const month = monthOf(at);
  // A late sale of a month already closed for this meter moves nothing.
  if (p.month !== null && month < p.month) return { month: p.month, units: p.units, fixed: p.fixed };
  const same = p.month === month;
  return {
    month,
    units: ((same ? Math.round(p.units * 10) : 0) + tenths) / 10,
    fixed: ((same ? toCents(p.fixed) : 0) + fixedCents) / 100,
  };
}
