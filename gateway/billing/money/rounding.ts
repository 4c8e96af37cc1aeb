/**
 * THE rounding rule of postpaid billing (one rule, everywhere):
 *
 *   Money is integer centimes. Prices are exact decimals with at most 4 decimals of the currency
 *   (held as integer "p4" = 1/10 000 MAD). Each bill LINE is computed exactly in integers and rounded
 *   ONCE to the centime, half away from zero ("half-up" on the magnitude, so a credit mirrors the
 *   debit it cancels); its VAT is the line's rounded HT × rate, rounded the same way; TTC = HT + VAT.
 *   Bill totals are sums of rounded lines and are never rounded again.
 *
 * Integer arithmetic only: no binary floating point touches an amount.
 */
export const P4_PER_UNIT = 10_000;
export const CENTIMES_PER_UNIT = 100;

/** round(n / d) half away from zero, for integers n and d > 0. */
export function divRound(n: number, d: number): number {
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(d) || d <= 0) {
    throw new RangeError(`divRound needs safe integers and d > 0 (got ${n} / ${d})`);
  }
  const q = Math.floor((Math.abs(n) * 2 + d) / (2 * d));
  return n < 0 ? -q : q;
}

/** A decimal price (≤ 4 decimals) as integer p4; throws when it has more precision. */
export function toP4(price: number): number {
  const p4 = Math.round(price * P4_PER_UNIT);
  if (!Number.isSafeInteger(p4) || Math.abs(p4 - price * P4_PER_UNIT) > 1e-6) {
    throw new RangeError(`price ${price} has more than 4 decimals`);
  }
  return p4;
}

/** A VAT rate (e.g. 0.18, 0.07) as integer basis points (1800, 700). */
export function toBasisPoints(rate: number): number {
  const bp = Math.round(rate * 10_000);
  if (Math.abs(bp - rate * 10_000) > 1e-6) throw new RangeError(`rate ${rate} has more than 4 decimals`);
  return bp;
}

/** Centimes of `quantity` units at `p4` per unit: one rounding. */
export function lineAmount(quantity: number, p4: number): number {
  return divRound(quantity * p4, P4_PER_UNIT / CENTIMES_PER_UNIT);
}

/** VAT of a rounded HT amount at `bp` basis points: one rounding. */
export function vatOf(htCentimes: number, bp: number): number {
  return divRound(htCentimes * bp, 10_000);
}

/** 12345 → "123,45" (French and Arabic bills use the comma; English the point). */
export function formatCentimes(c: number, lang: 'fr' | 'ar' | 'en' = 'fr'): string {
  const sign = c < 0 ? '-' : '';
  const abs = Math.abs(c);
  const units = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'en' ? ',' : ' ');
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}${units}${lang === 'en' ? '.' : ','}${cents}`;
}

/** True when `v` is a safe integer ≥ 0: what every API amount must be. */
export function isCentimes(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}
