import type { ContractRow } from '../accounts/account-registry.js';
import type { BillDraft, IndexQuality } from '../bills/bill.js';
import type { MoneyTariffVersion } from '../money/money-tariff.js';
import { pricePeriod } from '../money/price-period.js';
import { regularise, type EstimatedBill } from '../regularisation/regularise.js';
import type { BillDates, Period } from './period.js';

export interface BillingContract extends ContractRow {
  customerNumber: string;
}

export interface IndexValue {
  index: number;
  quality: IndexQuality;
}

export interface ComposeInput {
  contract: BillingContract;
  period: Period;
  dates: BillDates;
  versions: readonly MoneyTariffVersion[];
  /** The index the previous bill ended on (or the contract's initial index). */
  previous: IndexValue;
  /** The index at the period end: measured, self-read or estimated. */
  end: IndexValue;
  /** Consecutive estimated bills before this period, oldest first, and the real index before them. */
  estimatedChain: readonly EstimatedBill[];
  anchor: IndexValue;
  runId?: string;
}

/**
 * The bill of one contract for one period (pure). A real or self-read index after estimated bills
 * makes it a regularisation bill covering the estimated months and this period; otherwise it is a
 * periodic bill priced on the index difference (estimated when the end index was).
 */
export function composeBill(input: ComposeInput): BillDraft {
  const { contract: c, period, dates, versions } = input;
  const head = {
    customerId: c.customerId,
    customerNumber: c.customerNumber,
    contractNumber: c.number,
    meterId: c.meterId,
    service: c.service,
    periodKey: period.key,
    ...dates,
    tariffId: c.tariffId,
    currency: versions[0]?.currency ?? 'MAD',
    ...(input.runId ? { runId: input.runId } : {}),
  };
  if (input.end.quality !== 'estimated' && input.estimatedChain.length > 0) {
    const r = regularise({
      anchor: input.anchor,
      end: input.end,
      estimated: input.estimatedChain,
      to: period.to,
      versions,
      social: c.social,
    });
    return { ...head, kind: 'regularisation', estimated: false, ...r };
  }
  const consumption = Math.max(0, input.end.index - input.previous.index);
  const priced = pricePeriod({ from: period.from, to: period.to, versions, consumption, social: c.social });
  return {
    ...head,
    kind: 'periodic',
    periodFrom: period.from,
    periodTo: period.to,
    previousIndex: input.previous.index,
    previousQuality: input.previous.quality,
    newIndex: input.previous.index + consumption,
    newQuality: input.end.quality,
    consumption,
    estimated: input.end.quality === 'estimated',
    lines: priced.lines,
    months: priced.months,
    amountHT: priced.ht,
    tax: priced.tax,
    amountTTC: priced.ttc,
  };
}
