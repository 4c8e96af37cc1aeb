import type { BillLine } from '../money/price-month.js';

export type IndexQuality = 'real' | 'self-read' | 'estimated';
export type BillKind = 'periodic' | 'regularisation' | 'credit-note';
export type BillStatus = 'issued' | 'partially-paid' | 'paid' | 'overdue' | 'in-plan' | 'cancelled';

/** One month of a bill: what it was priced at; a regularisation adds what had been billed. */
export interface BillMonth {
  month: string;
  consumption: number;
  ht: number;
  tax: number;
  ttc: number;
  /** Regularisation: consumption and amounts the estimated bills had charged for this month. */
  billedConsumption?: number;
  billedTtc?: number;
  /** Regularisation: the estimated bills this month was charged on. */
  billedOn?: string[];
}

/** Everything a bill says, before it gets its number and the customer's balance. */
export interface BillDraft {
  kind: BillKind;
  customerId: string;
  customerNumber: string;
  contractNumber: string;
  meterId: string;
  service: 'electricity' | 'water';
  periodKey: string;
  periodFrom: string;
  periodTo: string;
  issuedOn: string;
  dueDate: string;
  paymentDeadline: string;
  previousIndex: number;
  previousQuality: IndexQuality;
  newIndex: number;
  newQuality: IndexQuality;
  consumption: number;
  estimated: boolean;
  tariffId: string;
  currency: string;
  lines: BillLine[];
  months: BillMonth[];
  amountHT: number;
  tax: number;
  amountTTC: number;
  corrects?: string;
  runId?: string;
}

/** An issued bill: immutable except its status (moved by payments, plans, cancellation). */
export interface Bill extends BillDraft {
  number: string;
  year: number;
  seq: number;
  status: BillStatus;
  previousBalance: number;
  instalmentsDue: number;
  instalments: unknown[];
  amountDue: number;
}

/** `2026-000123`: year and a gap-free sequence within it. */
export const billNumber = (year: number, seq: number): string => `${year}-${String(seq).padStart(6, '0')}`;
export const BILL_NUMBER_RE = /^(\d{4})-(\d{6,})$/;
