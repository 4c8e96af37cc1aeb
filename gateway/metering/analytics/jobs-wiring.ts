import type { EstimationService, RegularisationRecord } from '../estimation/index.js';
import type { JobRunner } from '../../platform/index.js';
import {
  enqueueNotification,
  instalmentSentence,
  registerNotificationHandler,
  type Notification,
  type Notifier,
} from '../../platform/index.js';
import type { Anomaly } from './anomaly-store.js';
import { dayString } from './days.js';
import type { AnomalyScanner } from './scanner.js';

/** Which customer a meter belongs to (the ledger's meters table), for notifications. */
export type CustomerOf = (meterId: string) => Promise<string | undefined>;

export interface AnalyticsJobsOptions {
  runner: JobRunner;
  scanner: AnomalyScanner;
  estimation?: EstimationService;
  notifier?: Notifier;
  /** Registers to scan (default electricity import). */
  obis?: string[];
  /** VENDING's low-credit check: returns the notifications to send (low credit on prepaid meters). */
  lowCreditCheck?: () => Promise<Notification[]>;
  now?: () => Date;
}

const DAY_MS = 86_400_000;

/** The customer notification for a newly opened anomaly, with the numbers of its evidence. */
export function anomalyNotification(
  a: Pick<Anomaly, 'id' | 'meterId' | 'kind' | 'evidence' | 'lastDay'>,
  customerId: string,
): Notification {
  const unit = 'kWh';
  const params: Record<string, string | number> = { meterId: a.meterId, unit, day: a.lastDay };
  const ev = a.evidence as Record<string, unknown>;
  if (a.kind === 'high_consumption') {
    const w = (
      ev.windows as {
        window: string;
        current: { from: string; to: string; total: number };
        reference: { total: number };
      }[]
    )[0]!;
    Object.assign(params, {
      current: Math.round(w.current.total * 10) / 10,
      reference: Math.round(w.reference.total * 10) / 10,
      from: w.current.from,
      to: w.current.to,
    });
  }
  if (typeof ev.since === 'string') params.since = ev.since;
  if (typeof ev.disconnectedSince === 'string') params.disconnectedSince = ev.disconnectedSince;
  return { idempotencyKey: `anomaly-${a.id}-opened`, customerId, kind: a.kind, params };
}

/** The customer notification for a regularisation (with the instalment offer when made). */
export function regularisationNotification(
  r: RegularisationRecord,
  customerId: string,
  language: 'fr' | 'en' = 'fr',
): Notification {
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    idempotencyKey: `regularisation-${r.id}`,
    customerId,
    kind: 'regularisation',
    params: {
      meterId: r.meterId,
      from: r.periodFrom,
      to: r.periodTo,
      actual: round(r.actual),
      estimated: round(r.billed),
      difference: round(r.difference),
      unit: 'kWh',
      plan:
        r.instalmentMonths && r.instalmentAmount
          ? instalmentSentence(language, r.instalmentMonths, String(round(r.instalmentAmount)), 'kWh')
          : '',
    },
  };
}

/**
 * Registers the analytics handlers on the four queues. The same handlers run on BullMQ or in-process:
 * - anomaly-scan `{ asOf?, obis? }`: full scan (default yesterday, every configured register);
 * - estimation `{ from?, to?, obis? }`: estimate periods without readings (default: the last whole
 *   month, the daily schedule), regularise resumed ones;
 * - low-credit-check `{}`: VENDING's check, each result enqueued as a notification;
 * - notifications: delivery through the notifier (retried by the runner on a failed channel).
 */
export function registerAnalyticsJobs(o: AnalyticsJobsOptions): void {
  const registers = o.obis ?? ['1-0:1.8.0'];
  o.runner.register('anomaly-scan', async (data) => {
    const d = (data ?? {}) as { asOf?: unknown; obis?: unknown };
    const asOf =
      typeof d.asOf === 'string'
        ? d.asOf
        : dayString(Math.floor((o.now?.() ?? new Date()).getTime() / DAY_MS) - 1);
    const list = typeof d.obis === 'string' ? [d.obis] : registers;
    const reports = [];
    for (const obis of list) reports.push(await o.scanner.scan({ asOf, obis }));
    return reports.map(({ meters, opened, updated, detections }) => ({
      meters,
      opened,
      updated,
      detections,
    }));
  });
  if (o.estimation) {
    const estimation = o.estimation;
    o.runner.register('estimation', async (data) => {
      const d = (data ?? {}) as { from?: unknown; to?: unknown; obis?: unknown };
      const list = typeof d.obis === 'string' ? [d.obis] : registers;
      const out = [];
      for (const obis of list) {
        if (typeof d.from === 'string' && typeof d.to === 'string') {
          const due = await estimation.estimateDue({ obis, from: d.from, to: d.to });
          out.push({ obis, ...due, regularised: await estimation.regulariseDue(obis) });
        } else {
          // The daily schedule: the last whole month, for meters without readings in it.
          out.push({ obis, ...(await estimation.runDaily(obis)) });
        }
      }
      return out;
    });
  }
  if (o.lowCreditCheck) {
    const check = o.lowCreditCheck;
    o.runner.register('low-credit-check', async () => {
      const notifications = await check();
      for (const n of notifications) await enqueueNotification(o.runner, n);
      return { notifications: notifications.length };
    });
  }
  if (o.notifier) registerNotificationHandler(o.runner, o.notifier, { concurrency: 4 });
}

/**
 * Scanner hook: notify the customer of each newly opened anomaly (the idempotency key is the anomaly
 * id, so a re-run scan or a retried job never notifies twice).
 */
export function notifyOnOpened(
  runner: JobRunner,
  customerOf: CustomerOf,
): (opened: Anomaly[]) => Promise<void> {
  return async (opened) => {
    for (const a of opened) {
      const customerId = await customerOf(a.meterId);
      if (customerId) await enqueueNotification(runner, anomalyNotification(a, customerId));
    }
  };
}
