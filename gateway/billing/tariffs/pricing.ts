import type { TariffDefinition } from './tariff.js';

/**
 * Money ↔ units under a monthly block tariff. Money is handled in integer minor units (cents) and
 * units in integer tenths (the STS credit resolution), so results are exact and reproducible;
 * rounding always favours the customer on units sold for money (floor the cost side, never
 * sell a tenth that was not paid for) and rounds prices up to the cent on quotes.
 */
export interface BlockLine {
  block: number;
  from: number;
  to: number;
  units: number;
  price: number;
  amount: number;
}

export interface EnergyResult {
  /** Units in tenths. */
  tenths: number;
  /** Energy cost in cents (before tax). */
  cents: number;
  lines: BlockLine[];
}

const toCents = (money: number): number => Math.round(money * 100);

function blockPrice(def: TariffDefinition, i: number, social: boolean): number {
  const b = def.blocks[i]!;
  return social && b.socialPrice !== undefined ? b.socialPrice : b.price;
}

/** Iterate the blocks from a monthly position (tenths), yielding each block's remaining room. */
function* blocksFrom(
  def: TariffDefinition,
  positionTenths: number,
): Generator<{ i: number; start: number; room: number }> {
  let lower = 0;
  for (let i = 0; i < def.blocks.length; i++) {
    const upper = def.blocks[i]!.upTo === null ? Infinity : Math.round(def.blocks[i]!.upTo! * 10);
    const start = Math.max(lower, positionTenths);
    if (start < upper) yield { i, start, room: upper - start };
    lower = upper;
  }
}

/** How many tenths `cents` of pre-tax energy money buy from the position on. */
export function unitsForEnergyMoney(
  def: TariffDefinition,
  positionTenths: number,
  cents: number,
  social: boolean,
): EnergyResult {
  // Exact (unrounded) cost accumulates; the charged amount is its ceiling, the same rule as
  // priceForUnits, so money → units → money never charges more than was paid.
  let exact = 0;
  let tenths = 0;
  const lines: BlockLine[] = [];
  for (const { i, start, room } of blocksFrom(def, positionTenths)) {
    const price = blockPrice(def, i, social);
    const perTenth = price * 10; // cents per tenth of a unit
    const affordable = perTenth === 0 ? room : Math.floor((cents - exact) / perTenth + 1e-9);
    let take = Math.min(room, affordable);
    while (take > 0 && Math.ceil(exact + take * perTenth - 1e-6) > cents) take--;
    if (take <= 0 || !Number.isFinite(take)) break;
    const cost = take * perTenth;
    lines.push({
      block: i + 1,
      from: start / 10,
      to: (start + take) / 10,
      units: take / 10,
      price,
      amount: Math.round(cost) / 100,
    });
    tenths += take;
    exact += cost;
    if (take < room) break;
  }
  return { tenths, cents: Math.ceil(exact - 1e-6), lines };
}

/** Pre-tax energy price of `tenths` from the position on, rounded up to the cent. */
export function priceForUnits(
  def: TariffDefinition,
  positionTenths: number,
  tenths: number,
  social: boolean,
): EnergyResult {
  let left = tenths;
  let cost = 0;
  const lines: BlockLine[] = [];
  for (const { i, start, room } of blocksFrom(def, positionTenths)) {
    if (left <= 0) break;
    const take = Math.min(room, left);
    const price = blockPrice(def, i, social);
    const exact = take * price * 10; // cents, unrounded: the total is rounded once below
    lines.push({
      block: i + 1,
      from: start / 10,
      to: (start + take) / 10,
      units: take / 10,
      price,
      amount: Math.round(exact) / 100,
    });
    cost += exact;
    left -= take;
  }
  return { tenths, cents: Math.ceil(cost - 1e-6), lines };
}

export type RecoveryPolicy =
  { mode: 'percent'; value: number } | { mode: 'fixed'; value: number } | { mode: 'full' };

export interface PurchaseBreakdown {
  /** All money figures in cents. */
  moneyCents: number;
  recoveryCents: number;
  fixedCents: number;
  taxCents: number;
  energyCents: number;
  /** Paid but too small to buy one more tenth (kept as the customer's rounding). */
  roundingCents: number;
  energy: EnergyResult;
}

/** Debt recovery taken from a purchase of `moneyCents`, never more than owed nor than paid. */
export function recoveryFor(policy: RecoveryPolicy, moneyCents: number, debtCents: number): number {
  if (debtCents <= 0) return 0;
  const wanted =
    policy.mode === 'full'
      ? debtCents
      : policy.mode === 'fixed'
        ? toCents(policy.value)
        : Math.floor((moneyCents * policy.value) / 100);
  return Math.max(0, Math.min(wanted, debtCents, moneyCents));
}

/**
 * Split a payment: debt recovery first, then tax-inclusive fixed charges still due this month,
 * then energy at the block prices. `fixedDueCents` is the pre-tax fixed charge not yet collected.
 */
export function splitPurchase(
  def: TariffDefinition,
  input: {
    moneyCents: number;
    positionTenths: number;
    fixedDueCents: number;
    debtCents: number;
    policy: RecoveryPolicy;
    social: boolean;
  },
): PurchaseBreakdown {
  const recoveryCents = recoveryFor(input.policy, input.moneyCents, input.debtCents);
  const available = input.moneyCents - recoveryCents;
  const net = Math.floor(available / (1 + def.taxRate));
  const fixedCents = Math.min(input.fixedDueCents, net);
  const energyBudget = net - fixedCents;
  const energy = unitsForEnergyMoney(def, input.positionTenths, energyBudget, input.social);
  const taxCents = Math.ceil((fixedCents + energy.cents) * def.taxRate - 1e-9);
  const roundingCents = available - fixedCents - energy.cents - taxCents;
  return {
    moneyCents: input.moneyCents,
    recoveryCents,
    fixedCents,
    taxCents,
    energyCents: energy.cents,
    roundingCents,
    energy,
  };
}

/** The payment that buys exactly `tenths` (quotes and vends by units), recovery included. */
export function priceUnitsPurchase(
  def: TariffDefinition,
  input: {
    tenths: number;
    positionTenths: number;
    fixedDueCents: number;
    debtCents: number;
    policy: RecoveryPolicy;
    social: boolean;
  },
): PurchaseBreakdown {
  const energy = priceForUnits(def, input.positionTenths, input.tenths, input.social);
  const fixedCents = input.fixedDueCents;
  const taxCents = Math.ceil((fixedCents + energy.cents) * def.taxRate - 1e-9);
  const gross = fixedCents + energy.cents + taxCents;
  let recoveryCents = 0;
  if (input.debtCents > 0) {
    if (input.policy.mode === 'percent' && input.policy.value < 100) {
      // money M with recovery = pct·M on top of gross: M = gross / (1 − pct).
      const m = Math.ceil(gross / (1 - input.policy.value / 100) - 1e-9);
      recoveryCents = Math.min(m - gross, input.debtCents);
    } else {
      recoveryCents = recoveryFor(input.policy, Number.MAX_SAFE_INTEGER, input.debtCents);
    }
  }
  return {
    moneyCents: gross + recoveryCents,
    recoveryCents,
    fixedCents,
    taxCents,
    energyCents: energy.cents,
    roundingCents: 0,
    energy,
  };
}
