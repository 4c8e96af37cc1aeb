import type { BillDraft, BillMonth, IndexQuality } from '../bills/bill.js';
import { daysBetween, monthEnd, monthsOf, monthStart } from '../money/calendar.js';
import type { MoneyTariffVersion } from '../money/money-tariff.js';
import type { BillLine } from '../money/price-month.js';
import { allocate, pricePeriod, sumLines } from '../money/price-period.js';

/** An estimated bill a regularisation settles. */
export interface EstimatedBill {
  number: string;
  periodFrom: string;
  periodTo: string;
  consumption: number;
  amountHT: number;
  tax: number;
  amountTTC: number;
  months: BillMonth[];
}

export interface RegularisationInput {
  /** The real (or self-read) index the estimated chain started from. */
  anchor: { index: number; quality: IndexQuality };
  /** The real (or self-read) index that ends the chain, at `to`. */
  end: { index: number; quality: IndexQuality };
  /** Consecutive estimated bills since the anchor, oldest first (at least one). */
  estimated: readonly EstimatedBill[];
  /** End of the period being closed now (the regularisation also bills it). */
  to: string;
  versions: readonly MoneyTariffVersion[];
  social?: boolean;
}

export type RegularisationResult = Pick<
  BillDraft,
  | 'periodFrom'
  | 'periodTo'
  | 'previousIndex'
  | 'previousQuality'
  | 'newIndex'
  | 'newQuality'
  | 'consumption'
  | 'lines'
  | 'months'
  | 'amountHT'
  | 'tax'
  | 'amountTTC'
>;

/**
 * Regularisation at the first real index after estimated periods (issue 16 §5). The real
 * consumption since the anchor (end − anchor, never negative) is spread over the months it covers by
 * days, EACH MONTH IS PRICED ON ITS OWN BLOCKS (so catching up never pushes a household into a block
 * its real monthly use would not have reached), and what the estimated bills charged is deducted line
 * by line. The result may be negative: a credit for the customer. The bill shows every month with
 * its real share, its re-priced amount and what had been billed for it.
 */
export function regularise(input: RegularisationInput): RegularisationResult {
  const from = input.estimated[0]!.periodFrom;
  const { to } = input;
  const total = Math.max(0, input.end.index - input.anchor.index);
  const months = monthsOf(from, to);
  const days = months.map((m) =>
    daysBetween(monthStart(m) > from ? monthStart(m) : from, monthEnd(m) < to ? monthEnd(m) : to),
  );
  const shares = allocate(total, days);
  const repriced = pricePeriod({
    from,
    to,
    versions: input.versions,
    consumption: months.map((month, i) => ({ month, consumption: shares[i]! })),
    social: input.social,
  });
  const deductions: BillLine[] = input.estimated.map((b) => ({
    kind: 'deduction',
    code: 'ESTIMATED_BILL',
    label: {
      fr: `Déduction facture estimée N° ${b.number} (${b.periodFrom} – ${b.periodTo})`,
      ar: `خصم الفاتورة التقديرية رقم ${b.number} (${b.periodFrom} – ${b.periodTo})`,
      en: `Estimated bill No. ${b.number} deducted (${b.periodFrom} – ${b.periodTo})`,
    },
    month: b.periodTo.slice(0, 7),
    tariffFrom: '',
    quantity: -b.consumption,
    unitPriceP4: 0,
    ht: -b.amountHT,
    vatBp: 0,
    tax: -b.tax,
    ttc: -b.amountTTC,
  }));
  const billed = new Map<string, { consumption: number; ttc: number; on: string[] }>();
  for (const b of input.estimated) {
    for (const m of b.months) {
      const x = billed.get(m.month) ?? { consumption: 0, ttc: 0, on: [] };
      x.consumption += m.consumption;
      x.ttc += m.ttc;
      x.on.push(b.number);
      billed.set(m.month, x);
    }
  }
  const monthsOut: BillMonth[] = repriced.months.map((m) => {
    const b = billed.get(m.month);
    return { ...m, billedConsumption: b?.consumption ?? 0, billedTtc: b?.ttc ?? 0, billedOn: b?.on ?? [] };
  });
  const lines = [...repriced.lines, ...deductions];
  const t = sumLines(lines);
  return {
    periodFrom: from,
    periodTo: to,
    previousIndex: input.anchor.index,
    previousQuality: input.anchor.quality,
    newIndex: input.end.index,
    newQuality: input.end.quality,
    consumption: total,
    lines,
    months: monthsOut,
    amountHT: t.ht,
    tax: t.tax,
    amountTTC: t.ttc,
  };
}
