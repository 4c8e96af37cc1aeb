import '../errors.js';
import { GatewayError } from '../../platform/index.js';
import { addDays, addMonths, isMonth, monthEnd, monthStart } from '../money/calendar.js';

/**
 * Billing periods. A run is for a period key `YYYY-MM`, the month a period ENDS in. Monthly
 * contracts close every month; bimonthly contracts close on even months (Jan–Feb, Mar–Apr, …), so
 * every period is made of whole calendar months and the tariff's monthly blocks apply as published.
 * A contract's first period starts on its subscription day. The bill is issued on the contract's
 * billing day of the following month; the due date (échéance) and the payment deadline (date limite
 * de paiement) follow it by configured days.
 */
export interface Period {
  key: string;
  from: string;
  to: string;
}

export interface BillDates {
  issuedOn: string;
  dueDate: string;
  paymentDeadline: string;
}

export interface DueTerms {
  /** Days from issue to the due date (default 10). */
  dueDays: number;
  /** Days from issue to the payment deadline (default 25). */
  deadlineDays: number;
}

export const DEFAULT_TERMS: DueTerms = { dueDays: 10, deadlineDays: 25 };

export function parsePeriodKey(key: unknown): string {
  if (!isMonth(key)) {
    throw new GatewayError('MG_ERR_BILLING_BAD_PERIOD', {
      params: { reason: `${String(key)} is not YYYY-MM` },
    });
  }
  return key;
}

/** The contract's period ending in `key`, or undefined when it does not close then. */
export function periodFor(
  contract: { frequency: 'monthly' | 'bimonthly'; subscribedAt: string },
  key: string,
): Period | undefined {
  const month = Number(key.slice(5, 7));
  if (contract.frequency === 'bimonthly' && month % 2 !== 0) return undefined;
  const first = contract.frequency === 'bimonthly' ? addMonths(key, -1) : key;
  const to = monthEnd(key);
  if (contract.subscribedAt > to) return undefined;
  const from = contract.subscribedAt > monthStart(first) ? contract.subscribedAt : monthStart(first);
  return { key, from, to };
}

export function billDates(
  contract: { billingDay: number },
  period: Period,
  terms: DueTerms = DEFAULT_TERMS,
): BillDates {
  const next = addMonths(period.key, 1);
  const issuedOn = `${next}-${String(contract.billingDay).padStart(2, '0')}`;
  return {
    issuedOn,
    dueDate: addDays(issuedOn, terms.dueDays),
    paymentDeadline: addDays(issuedOn, terms.deadlineDays),
  };
}
