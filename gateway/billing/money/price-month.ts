import type { MoneyTariffVersion } from './money-tariff.js';
import { divRound, lineAmount, toBasisPoints, toP4, vatOf } from './rounding.js';

/** `deduction`: a regularisation's credit for what an estimated bill already charged. */
export type LineKind = 'energy' | 'fixed' | 'levy' | 'deduction';
export interface Label {
  fr: string;
  ar: string;
  en: string;
}

/** One line of a bill: HT, VAT and TTC in integer centimes (rounding.ts). */
export interface BillLine {
  kind: LineKind;
  code: string;
  label: Label;
  /** Calendar month the line prices (YYYY-MM). */
  month: string;
  /** Effective date of the tariff version that priced it. */
  tariffFrom: string;
  /** 1-based block for energy lines. */
  block?: number;
  /** Units (kWh, m³) for energy and levies; days covered for fixed charges. */
  quantity: number;
  /** Days of the month for fixed charges (quantity / of). */
  of?: number;
  /** Unit price excluding tax in 1/10 000 of the currency. */
  unitPriceP4: number;
  ht: number;
  vatBp: number;
  tax: number;
  ttc: number;
}

/** A stretch of one calendar month under one tariff version. */
export interface Segment {
  month: string;
  from: string;
  to: string;
  days: number;
  monthDays: number;
  tariff: MoneyTariffVersion;
  /** Integer units consumed in this segment. */
  consumption: number;
}

function line(base: Omit<BillLine, 'ht' | 'tax' | 'ttc' | 'vatBp'>, ht: number, vatBp: number): BillLine {
  const tax = vatOf(ht, vatBp);
  return { ...base, ht, vatBp, tax, ttc: ht + tax };
}

const BLOCK_LABEL = (i: number, from: number, to: number | null, unit: string, selective: boolean): Label => {
  const range = to === null ? `> ${from}` : `${from}–${to}`;
  return {
    fr: `Tranche ${i} (${range} ${unit})${selective ? ' — tarif sélectif' : ''}`,
    ar: `الشطر ${i} (${range} ${unit})${selective ? ' — تعريفة انتقائية' : ''}`,
    en: `Block ${i} (${range} ${unit})${selective ? ' — selective rate' : ''}`,
  };
};

/**
 * Prices one segment. A segment shorter than its month (tariff change, first or last month of a
 * contract) scales the monthly block bounds, thresholds and fixed charges by days / monthDays
 * (bounds rounded to whole units under the one rounding rule), so a month split in two costs what
 * the whole month would under a single version.
 */
export function priceSegment(seg: Segment, options: { social?: boolean } = {}): BillLine[] {
  const def = seg.tariff.definition;
  if (!Number.isSafeInteger(seg.consumption) || seg.consumption < 0) {
    throw new RangeError(`segment consumption must be a non-negative integer (got ${seg.consumption})`);
  }
  const scale = (x: number) => (seg.days === seg.monthDays ? x : divRound(x * seg.days, seg.monthDays));
  const vatBp = toBasisPoints(def.vatRate);
  const c = seg.consumption;
  const common = { month: seg.month, tariffFrom: seg.tariff.effectiveFrom };
  const lines: BillLine[] = [];
  const energy = (code: string, label: Label, quantity: number, price: number, block?: number) => {
    const p4 = toP4(price);
    lines.push(
      line(
        { ...common, kind: 'energy', code, label, quantity, unitPriceP4: p4, ...(block ? { block } : {}) },
        lineAmount(quantity, p4),
        vatBp,
      ),
    );
  };

  const life = def.lifeline;
  if (c > 0 && life && (!life.socialOnly || options.social) && c <= scale(life.upTo)) {
    energy(
      'LIFELINE',
      {
        fr: `Tranche sociale (≤ ${life.upTo} ${def.unit})`,
        ar: `الشطر الاجتماعي (≤ ${life.upTo} ${def.unit})`,
        en: `Lifeline block (≤ ${life.upTo} ${def.unit})`,
      },
      c,
      life.price,
      1,
    );
  } else if (c > 0 && def.selective && c > scale(def.selective.above)) {
    // Selective rule: the whole month at the rate of the block the consumption reached.
    let lower = 0;
    for (const [i, b] of def.blocks.entries()) {
      if (b.upTo === null || c <= scale(b.upTo)) {
        energy(`BLOCK_${i + 1}`, BLOCK_LABEL(i + 1, lower, b.upTo, def.unit, true), c, b.price, i + 1);
        break;
      }
      lower = b.upTo;
    }
  } else if (c > 0) {
    let lower = 0;
    let lowerUnscaled = 0;
    for (const [i, b] of def.blocks.entries()) {
      const upper = b.upTo === null ? Infinity : scale(b.upTo);
      const q = Math.max(0, Math.min(c, upper) - lower);
      if (q > 0)
        energy(
          `BLOCK_${i + 1}`,
          BLOCK_LABEL(i + 1, lowerUnscaled, b.upTo, def.unit, false),
          q,
          b.price,
          i + 1,
        );
      if (c <= upper) break;
      lower = upper;
      lowerUnscaled = b.upTo ?? lowerUnscaled;
    }
  }

  for (const l of def.levies) {
    if (c === 0) continue;
    const p4 = toP4(l.perUnit);
    lines.push(
      line(
        { ...common, kind: 'levy', code: l.code, label: l.label, quantity: c, unitPriceP4: p4 },
        lineAmount(c, p4),
        l.vat ? vatBp : 0,
      ),
    );
  }
  for (const f of def.fixedCharges) {
    const p4 = toP4(f.monthly);
    // monthly × days / monthDays, to the centime: one rounding.
    const ht = divRound(p4 * seg.days, seg.monthDays * 100);
    lines.push(
      line(
        {
          ...common,
          kind: 'fixed',
          code: f.code,
          label: f.label,
          quantity: seg.days,
          of: seg.monthDays,
          unitPriceP4: p4,
        },
        ht,
        f.vat ? vatBp : 0,
      ),
    );
  }
  return lines;
}
