import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import './errors.js';
import type { Bill } from './bills/bill.js';
import { GatewayError, type Principal } from '../platform/index.js';

/** Schemas and guards shared by the billing routes. */
export const ErrorAnswer = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Unknown()),
});
export const errors = {
  400: ErrorAnswer,
  401: ErrorAnswer,
  403: ErrorAnswer,
  404: ErrorAnswer,
  409: ErrorAnswer,
  422: ErrorAnswer,
};
export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const BillNumber = Type.String({ pattern: '^\\d{4}-\\d{6,}$', description: 'YYYY-NNNNNN' });
export const Lang = Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('ar'), Type.Literal('en')]));
export const Centimes = Type.Integer({ description: 'integer centimes' });

export function who(req: FastifyRequest): Principal {
  if (!req.principal) throw new GatewayError('MG_ERR_AUTH_UNAUTHENTICATED');
  return req.principal;
}

/** Customers see only their own records: the same answer for "not yours" as for "forbidden". */
export function ownOnly(p: Principal, customerId: string): void {
  if (p.role === 'customer' && p.customerId !== customerId)
    throw new GatewayError('MG_ERR_BILLING_FORBIDDEN');
}

export const BillSummary = Type.Object({
  number: Type.String(),
  customerNumber: Type.String(),
  contract: Type.String(),
  meter: Type.String(),
  periodFrom: Type.String(),
  periodTo: Type.String(),
  dueDate: Type.String(),
  paymentDeadline: Type.String(),
  amountHT: Centimes,
  tax: Centimes,
  amountTTC: Centimes,
  amountDue: Centimes,
  status: Type.Union(
    ['issued', 'partially-paid', 'paid', 'overdue', 'in-plan', 'cancelled'].map((s) => Type.Literal(s)),
  ),
  estimated: Type.Boolean(),
  kind: Type.Union([Type.Literal('periodic'), Type.Literal('regularisation'), Type.Literal('credit-note')]),
});

export const summary = (b: Bill) => ({
  number: b.number,
  customerNumber: b.customerNumber,
  contract: b.contractNumber,
  meter: b.meterId,
  periodFrom: b.periodFrom,
  periodTo: b.periodTo,
  dueDate: b.dueDate,
  paymentDeadline: b.paymentDeadline,
  amountHT: b.amountHT,
  tax: b.tax,
  amountTTC: b.amountTTC,
  amountDue: b.amountDue,
  status: b.status,
  estimated: b.estimated,
  kind: b.kind,
});

export const ReminderStep = Type.Object({ step: Type.String(), days: Type.Integer() });
export const Reminder = Type.Object({
  billNumber: Type.String(),
  customerId: Type.String(),
  step: Type.String(),
  channel: Type.String(),
  scheduledFor: Type.String(),
  status: Type.String({ description: "the outbox's delivery status, or skipped / no-channel" }),
  outboxId: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
});

export const Run = Type.Object({
  id: Type.String(),
  period: Type.String(),
  status: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
  total: Type.Integer(),
  issued: Type.Integer(),
  skipped: Type.Integer(),
  failed: Type.Integer(),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  errors: Type.Array(Type.Object({ contract: Type.String(), code: Type.String(), message: Type.String() })),
  requestedBy: Type.String(),
  startedAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
});
