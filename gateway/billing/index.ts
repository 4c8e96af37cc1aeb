// The billing domain's public entry: other domains and the composition root import only this file.
export * from './tariffs/index.js';
export { BILLING_ERRORS, type BillingErrorCode } from './errors.js';
export { BILLING_MIGRATIONS } from './migrations.js';
export {
  createPostpaidCustomer,
  createContract,
  getContract,
  PostpaidCustomerInput,
  ContractInput,
  type ContractRow,
} from './accounts/account-registry.js';
export {
  listCustomers,
  getCustomer,
  type CustomerSummary,
  type CustomerDetail,
} from './accounts/customer-views.js';
export {
  MoneyTariffDefinition,
  validateMoneyTariff,
  EXAMPLE_POSTPAID_ELECTRICITY,
  EXAMPLE_POSTPAID_ELECTRICITY_2026,
  EXAMPLE_POSTPAID_WATER,
  type MoneyTariffVersion,
} from './money/money-tariff.js';
export { upsertTariffVersion, loadTariffVersions } from './money/tariff-store.js';
export { pricePeriod, allocate, type PricedPeriod } from './money/price-period.js';
export { priceSegment, type BillLine } from './money/price-month.js';
export { formatCentimes, isCentimes, divRound } from './money/rounding.js';
export {
  type Bill,
  type BillDraft,
  type BillKind,
  type BillStatus,
  type IndexQuality,
  billNumber,
} from './bills/bill.js';
export {
  issueBills,
  getBill,
  listBills,
  effectiveStatus,
  type InstalmentsDue,
  type AfterIssue,
} from './bills/bill-store.js';
export { BillingRunner, type BillingRunnerOptions } from './run/billing-run.js';
export { SqlIndexSource, type IndexSource, type IndexQuery } from './run/index-source.js';
export { type RunView } from './run/run-store.js';
export { billingFeature, BillingFeature, type BillingFeatureOptions } from './billing-feature.js';
export { billingPlugin, type BillingPluginOptions } from './routes.js';
export { BillDelivery, type SendMessage, type OutboxMessage } from './delivery/bill-delivery.js';
export { billLinkToken, verifyBillLink } from './delivery/bill-links.js';
export { renderBillPdf, billFonts } from './pdf/bill-pdf.js';
export {
  recordPayment,
  getPayment,
  PAYMENT_CHANNELS,
  type PaymentChannel,
  type PaymentInput,
  type PaymentView,
} from './payments/payments.js';
export { issueCreditNote, refundCredit } from './payments/credit-notes.js';
export { statement, type Statement, type StatementEntry } from './payments/statement.js';
export { allocateCredits, type OpenItem, type Allocation } from './payments/allocation.js';
export {
  CheckoutService,
  type StartCheckoutInput,
  type CheckoutStarted,
  type CheckoutSession,
} from './checkout/checkout.js';
export {
  SimulatedProvider,
  signFields,
  type PaymentProvider,
  type CheckoutRequest,
  type CallbackOutcome,
} from './checkout/provider.js';
export {
  requestPlan,
  decidePlan,
  settlePlanEarly,
  getPlan,
  listPlans,
  instalmentsDue,
  automaticPlans,
  splitAmount,
  type PlanConfig,
  type PlanView,
} from './plans/plans.js';
export {
  BillReminders,
  DEFAULT_REMINDER_SCHEDULE,
  type ReminderStep,
  type ReminderView,
} from './reminders/reminders.js';
/** The bill's JSON shape of the API (`GET /api/customers/:id/bills`), for other domains' routes. */
export { BillSummary as BillSummarySchema, summary as billSummary } from './http-schemas.js';
