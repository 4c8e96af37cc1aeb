import { randomBytes } from 'node:crypto';
import './errors.js';
import { runMigrations, type JobRunner, type SqlDatabase } from '../platform/index.js';
import type { InstalmentsDue } from './bills/bill-store.js';
import { CheckoutService, type StartCheckoutInput, type CheckoutStarted } from './checkout/checkout.js';
import { SimulatedProvider, type PaymentProvider } from './checkout/provider.js';
import { BillDelivery, type SendMessage } from './delivery/bill-delivery.js';
import { BILLING_MIGRATIONS } from './migrations.js';
import { BillReminders, type ReminderStep } from './reminders/reminders.js';
import { automaticPlans, instalmentsDue, type PlanConfig } from './plans/plans.js';
import { addMonths } from './money/calendar.js';
import { billingPlugin } from './routes.js';
import { BillingRunner } from './run/billing-run.js';
import type { DueTerms } from './run/period.js';
import { runningRuns, finishRun, type RunView } from './run/run-store.js';

export interface BillingFeatureOptions {
  db: SqlDatabase;
  /** Runs go to the `billing` queue (BullMQ or in-process); without a runner they run in this process. */
  jobs?: JobRunner;
  /** The message outbox's send; without it bills are issued but not delivered. */
  send?: SendMessage;
  /** Base URL printed in SMS links (default http://127.0.0.1:8080). */
  publicUrl?: string;
  /** HMAC key of SMS bill links (METERGATE_BILL_LINK_SECRET); default: random per process. */
  linkSecret?: string;
  issuer?: string;
  terms?: DueTerms;
  batchSize?: number;
  /** How often the automatic run checks for the previous month (default 6 h; false: never). */
  autoRunEveryMs?: number | false;
  /** How often pending deliveries are swept (default 60 s; false: only after runs). */
  deliveryEveryMs?: number | false;
  instalmentsDue?: InstalmentsDue;
  /** Automatic instalment plans (threshold × mean of the last 6 bills, default 1.5; 6 months). */
  plans?: PlanConfig;
  /** Reminder schedule (default J-3, J0, J+7, J+15 around the payment deadline) and sweep period (1 h). */
  reminders?: { schedule?: readonly ReminderStep[]; graceDays?: number; everyMs?: number | false };
  /** The online payment provider (default: the built-in simulated one, signed with `providerSecret`). */
  paymentProvider?: PaymentProvider;
  /** HMAC key shared with the simulated provider (METERGATE_PAYMENT_SECRET); default: random per process. */
  providerSecret?: string;
  clock?: () => Date;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

type BillingJob = { runId: string } | { auto: true } | { reminders: true };

/**
 * The billing domain as one service for the composition root: migrations, the billing run on the job
 * runner (scheduled and on request, resumed after a restart), delivery of issued bills, and the HTTP
 * routes (`feature`). Constructor assigns; start() and stop() do the work.
 */
export class BillingFeature {
  readonly options: BillingFeatureOptions;
  readonly runner: BillingRunner;
  readonly delivery: BillDelivery | undefined;
  /** Reminders through the outbox (absent without `send`). */
  readonly reminders: BillReminders | undefined;
  readonly linkSecret: string;
  /** Online payments: checkout sessions and the provider's signed callbacks. */
  readonly checkout: CheckoutService;
  /** The built-in simulated provider (its hosted page is served under /pay/sim). */
  readonly simulatedProvider: SimulatedProvider;
  private inflight = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(options: BillingFeatureOptions) {
    this.options = options;
    this.linkSecret = options.linkSecret ?? randomBytes(32).toString('base64url');
    const publicUrl = options.publicUrl ?? 'http://127.0.0.1:8080';
    this.simulatedProvider = new SimulatedProvider(
      options.providerSecret ?? randomBytes(32).toString('base64url'),
      publicUrl,
    );
    this.checkout = new CheckoutService(options.db, options.paymentProvider ?? this.simulatedProvider, {
      publicUrl,
      clock: options.clock,
      log: options.log,
    });
    this.runner = new BillingRunner({
      db: options.db,
      terms: options.terms,
      batchSize: options.batchSize,
      instalmentsDue: options.instalmentsDue ?? instalmentsDue,
      afterIssue: automaticPlans(options.plans),
      clock: options.clock,
    });
    this.delivery = options.send
      ? new BillDelivery({
          db: options.db,
          send: options.send,
          publicUrl: options.publicUrl ?? 'http://127.0.0.1:8080',
          linkSecret: this.linkSecret,
          issuer: options.issuer,
          clock: options.clock,
          log: options.log,
        })
      : undefined;
    this.reminders = options.send
      ? new BillReminders({
          db: options.db,
          send: options.send,
          schedule: options.reminders?.schedule,
          graceDays: options.reminders?.graceDays,
          clock: options.clock,
          log: options.log,
        })
      : undefined;
  }

  /** The fastify plugin and its options, for `GatewayOptions.plugins` / `features`. */
  get feature(): { plugin: typeof billingPlugin; options: { billing: BillingFeature } } {
    return { plugin: billingPlugin, options: { billing: this } };
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.options.log?.(level, message);
  }

  /** Call before `jobs.start()` (handlers are registered here). */
  async start(): Promise<this> {
    const { db, jobs } = this.options;
    await runMigrations(db, BILLING_MIGRATIONS);
    if (jobs) {
      jobs.register('billing', (data) => this.handle(data as BillingJob), { concurrency: 1 });
      this.unsubscribe = jobs.onEvent((e) => {
        if (e.queue === 'billing' && e.status === 'failed' && e.id.startsWith('run-')) {
          void finishRun(db, e.id, 'failed').catch(() => undefined);
          this.log('error', `billing run ${e.id} failed: ${e.error ?? ''}`);
        }
      });
      if (this.options.autoRunEveryMs !== false) {
        await jobs.schedule('billing', 'billing-auto', {
          everyMs: this.options.autoRunEveryMs ?? 6 * 3_600_000,
          data: { auto: true },
        });
      }
      if (this.reminders && this.options.reminders?.everyMs !== false) {
        await jobs.schedule('billing', 'billing-reminders', {
          everyMs: this.options.reminders?.everyMs ?? 3_600_000,
          data: { reminders: true },
        });
      }
    }
    // A run interrupted by a crash is still 'running': resume it (it continues after its cursor).
    for (const id of await runningRuns(db)) await this.dispatch(id);
    if (this.delivery && this.options.deliveryEveryMs !== false) {
      this.timer = setInterval(() => void this.deliverNow(), this.options.deliveryEveryMs ?? 60_000);
      this.timer.unref();
    }
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await Promise.allSettled([...this.inflight]);
  }

  /**
   * Online payment of one or several of a customer's bills (the online agency's "pay online"): a
   * session and the provider's page to send the browser to. The payment is recorded when the
   * provider's signed callback arrives.
   */
  startCheckout(input: StartCheckoutInput): Promise<CheckoutStarted> {
    return this.checkout.startCheckout(input);
  }

  /** Starts a run for a finished period: registered now, executed on the job runner. */
  async startRun(period: string, requestedBy: string): Promise<RunView> {
    const run = await this.runner.create(period, requestedBy);
    await this.dispatch(run.id);
    return run;
  }

  private async dispatch(runId: string): Promise<void> {
    if (this.options.jobs) {
      await this.options.jobs.enqueue('billing', { runId }, { jobId: runId, attempts: 3 });
      return;
    }
    const p = this.handle({ runId })
      .catch((err) => this.log('error', `billing run ${runId}: ${(err as Error).message}`))
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private async handle(job: BillingJob): Promise<unknown> {
    if ('auto' in job) return this.autoRun();
    if ('reminders' in job) return { reminded: await this.remindNow() };
    const view = await this.runner.execute(job.runId);
    this.log(
      'info',
      `billing run ${view.id} (${view.period}): ${view.issued} issued, ${view.skipped} skipped, ${view.failed} failed`,
    );
    await this.deliverNow();
    return { issued: view.issued, skipped: view.skipped, failed: view.failed };
  }

  /** The scheduled run: bills the month that just ended, once. */
  private async autoRun(): Promise<unknown> {
    const today = (this.options.clock?.() ?? new Date()).toISOString().slice(0, 7);
    const period = addMonths(today, -1);
    const { rows } = await this.options.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM billing_runs WHERE period = $1 AND status IN ('running', 'completed')`,
      [period],
    );
    if (rows[0]!.n > 0) return { period, started: false };
    const run = await this.runner.create(period, 'scheduler');
    await this.handle({ runId: run.id });
    return { period, started: true };
  }

  /** One reminder sweep (the scheduled job does it every hour). */
  async remindNow(): Promise<number> {
    if (!this.reminders) return 0;
    try {
      return await this.reminders.sweep();
    } catch (err) {
      this.log('warn', `reminder sweep: ${(err as Error).message}`);
      return 0;
    }
  }

  async deliverNow(): Promise<number> {
    if (!this.delivery) return 0;
    try {
      let total = 0;
      for (let n = await this.delivery.deliverPending(); n > 0; n = await this.delivery.deliverPending())
        total += n;
      return total;
    } catch (err) {
      this.log('warn', `bill delivery sweep: ${(err as Error).message}`);
      return 0;
    }
  }
}

export function billingFeature(options: BillingFeatureOptions): BillingFeature {
  return new BillingFeature(options);
}
