import {
  AnomalyScanner,
  ConsumptionComparison,
  SqlAnomalyStore,
  SqlDailyBatchSource,
  analyticsPlugin,
  notifyOnOpened,
  registerAnalyticsJobs,
  ANALYTICS_MIGRATIONS,
} from '../../gateway/analytics/index.js';
import { runMigrations, type SqlDatabase } from '../../gateway/db/index.js';
import { EstimationService, estimationPlugin } from '../../gateway/estimation/index.js';
import type { GatewayFeature, MessageBus, RollupStore } from '../../gateway/index.js';
import { TopicScheme } from '../../protocol/index.js';
import type { JobRunner } from '../../gateway/jobs/index.js';
import {
  EmailChannel,
  LowCreditAlerts,
  Notifier,
  SmsGatewayChannel,
  WebhookChannel,
  notifyPlugin,
  type NotificationChannel,
} from '../../gateway/notify/index.js';
import { SelfReadingService, selfReadingsPlugin } from '../../gateway/self-readings/index.js';
import type { MetergateConfig } from '../config/index.js';

const HOUR_MS = 3_600_000;

export interface AnalyticsFeature {
  features: GatewayFeature[];
  scanner: AnomalyScanner;
  notifier: Notifier;
  schedule: () => Promise<void>;
}

function channels(config: MetergateConfig, env: NodeJS.ProcessEnv): NotificationChannel[] {
  const list: NotificationChannel[] = [new WebhookChannel()];
  const { sms, smtp } = config.notify;
  if (sms) {
    list.push(
      new SmsGatewayChannel({
        urlTemplate: sms.urlTemplate,
        method: sms.method,
        bodyTemplate: sms.bodyTemplate,
        contentType: sms.contentType,
        auth: env.SMS_GATEWAY_TOKEN ? { type: 'bearer', token: env.SMS_GATEWAY_TOKEN } : undefined,
      }),
    );
  }
  if (smtp) {
    list.push(
      new EmailChannel({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        from: smtp.from,
        auth: smtp.user && smtp.password ? { user: smtp.user, pass: smtp.password } : undefined,
      }),
    );
  }
  return list;
}

/**
 * Analytics as the gateway runs it: the anomaly store and API, consumption comparison, estimation and
 * regularisation, customer self-readings, notifications (webhook always; SMS and e-mail when
 * configured) and the job handlers with a repeating anomaly scan whose new anomalies notify the
 * meter's customer.
 */
export async function startAnalyticsFeature(options: {
  db: SqlDatabase;
  rollups: RollupStore;
  runner: JobRunner;
  config: MetergateConfig;
  env: NodeJS.ProcessEnv;
  /** Prepaid meters' `credit.low` events arrive here and become customer notifications. */
  bus: MessageBus;
}): Promise<AnalyticsFeature> {
  const { db, rollups, runner, config } = options;
  await runMigrations(db, ANALYTICS_MIGRATIONS);
  const anomalies = new SqlAnomalyStore({ db });
  const notifier = new Notifier({ db, channels: channels(config, options.env) });
  await notifier.start();
  const estimation = new EstimationService({ db, rollups });
  await estimation.start();
  const selfReadings = new SelfReadingService({ db, rollups, estimation });
  await selfReadings.start();
  const customerOf = async (meterId: string) => {
    try {
      const { rows } = await db.query<{ customer_id: string }>(
        'SELECT customer_id FROM meters WHERE id = $1',
        [meterId],
      );
      return rows[0]?.customer_id;
    } catch {
      return undefined; // no ledger in this deployment
    }
  };
  const scanner = new AnomalyScanner({
    source: new SqlDailyBatchSource({ db }),
    store: anomalies,
    onOpened: notifyOnOpened(runner, customerOf),
  });
  registerAnalyticsJobs({ runner, scanner, estimation, notifier });
  await new LowCreditAlerts({
    bus: options.bus,
    runner,
    topics: new TopicScheme(config.mqtt.prefix),
    customerOf,
  }).start();
  return {
    // Called once the runner has started: the first scan runs at once, then every scanEveryHours.
    schedule: () =>
      runner.schedule('anomaly-scan', 'periodic-anomaly-scan', {
        everyMs: config.notify.scanEveryHours * HOUR_MS,
      }),
    scanner,
    notifier,
    features: [
      { plugin: analyticsPlugin, options: { anomalies, comparison: new ConsumptionComparison({ db }) } },
      { plugin: estimationPlugin, options: { service: estimation } },
      { plugin: selfReadingsPlugin, options: { service: selfReadings } },
      { plugin: notifyPlugin, options: { notifier } },
    ],
  };
}
