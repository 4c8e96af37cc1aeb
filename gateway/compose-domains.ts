import type { Registry } from 'prom-client';
import type { TopicScheme } from '../protocol/index.js';
import { AgencyFeature } from './customers/agency/index.js';
import { dashboardApiPlugin } from './customers/dashboard-api/index.js';
import { exportsPlugin } from './customers/exports/index.js';
import { billingFeature, type BillingFeature } from './billing/index.js';
import { FieldFeature } from './field/index.js';
import type { Lifecycle } from './lifecycle.js';
import type { ServiceErrors } from './service-errors.js';
import {
  AnomalyScanner,
  ConsumptionComparison,
  SqlAnomalyStore,
  SqlDailyBatchSource,
  analyticsPlugin,
  notifyOnOpened,
  registerAnalyticsJobs,
  ANALYTICS_MIGRATIONS,
} from './metering/analytics/index.js';
import { MeterCommandService, commandsPlugin } from './metering/commands/index.js';
import { EstimationService, estimationPlugin } from './metering/estimation/index.js';
import type { LiveHub } from './metering/live/index.js';
import type { ReadingStore } from './metering/readings/index.js';
import type { RollupStore } from './metering/rollups/index.js';
import { SelfReadingService, selfReadingsPlugin } from './metering/self-readings/index.js';
import type { MessageBus } from './platform/bus/index.js';
import { runMigrations, type SqlDatabase } from './platform/db/index.js';
import { createJobRunner, type JobRunner } from './platform/jobs/index.js';
import { metricsPlugin } from './platform/metrics/index.js';
import {
  EmailChannel,
  LowCreditAlerts,
  Notifier,
  SmsGatewayChannel,
  WebhookChannel,
  notifyPlugin,
  outboxPlugin,
  type NotificationChannel,
} from './platform/notify/index.js';
import {
  KeyVault,
  LEDGER_MIGRATIONS,
  TokenDelivery,
  VendingService,
  vendingPlugin,
  type SecurityModule,
} from './prepaid/vending/index.js';
import type { GatewayFeature } from './server.js';

const HOUR_MS = 3_600_000;

/** The validated `notify` section of the configuration (cli/config), as the gateway reads it. */
export interface NotifySettings {
  scanEveryHours: number;
  /** The outage rule (field domain); defaults when absent. */
  outage?: { minMeters: number; minShare: number; silentSeconds: number; checkEverySeconds: number };
  sms?: { urlTemplate: string; method?: 'GET' | 'POST'; bodyTemplate?: string; contentType?: string };
  smtp?: { host: string; port: number; secure?: boolean; from: string; user?: string; password?: string };
  /** Customer webhooks' SSRF guard: https to public addresses only unless an operator allows more. */
  webhook?: { allowHttp?: boolean; allowPrivateAddresses?: boolean; timeoutMs?: number };
}

/** The business domains on top of the core (vending, analytics, notifications, exports, /metrics). */
export interface DomainOptions {
  /** Job queues: BullMQ on this Redis, in-process without. */
  redisUrl?: string;
  notify: NotifySettings;
  /** Prepaid vending rules (config section `prepaid`); defaults when absent. */
  prepaid?: { reversalWindowMinutes?: number };
  /** The network map's tile server (config section `map`); none: the shipped basemap only. */
  map?: { tileUrl?: string; tileAttribution?: string };
  /** The key vault's security module; without one vending is off (ingest and analytics only). */
  securityModule?: SecurityModule;
  /** Channel secrets (SMS_GATEWAY_TOKEN). */
  env: NodeJS.ProcessEnv;
  /** /metrics: the gateway's registry plus these (the embedded broker's, an edge's). */
  metricsRegistries?: () => Registry[];
  publicMetrics?: boolean;
  /** Where customers reach the gateway (links in SMS and e-mails). */
  publicUrl?: string;
}

export interface ComposedDomains {
  features: GatewayFeature[];
  vending: VendingService | undefined;
  billing: BillingFeature;
  /** The network in the field: locations, map, outages (the demo hands it its fleet's power switch). */
  field: FieldFeature;
  /** Started last (after HTTP listens) by the caller, with `schedule` right after. */
  jobs: JobRunner;
  schedule: () => Promise<void>;
}

function channels(notify: NotifySettings, env: NodeJS.ProcessEnv): NotificationChannel[] {
  const list: NotificationChannel[] = [new WebhookChannel(notify.webhook)];
  const { sms, smtp } = notify;
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
 * A connection request filed in the agency opens an installation work order in the same
 * transaction; the work order taken up or completed moves the request forward (and the customer gets
 * the status SMS). Wired here because the customers domain may not import the field domain.
 */
export function linkConnectionRequests(
  agency: Pick<AgencyFeature, 'cases'>,
  field: Pick<FieldFeature, 'workOrders'>,
): void {
  agency.cases.onConnectionRequest((tx, request) => field.workOrders.openForRequest(tx, request));
  field.workOrders.useRequests({
    findConnectionRequest: (tn) => agency.cases.findConnectionRequest(tn),
    advance: (tx, tn, status, note) => agency.cases.advance(tx, tn, status, 'field', note),
  });
}

/**
 * Vending with remote token delivery, the anomaly store and API, consumption comparison, estimation
 * and regularisation, customer self-readings, notifications (webhook always; SMS and e-mail when
 * configured), exports, the dashboards' API and /metrics — each constructed once, its dependencies
 * handed over explicitly, each with a lifecycle entry. Add a service here: one `life.run` line.
 */
export async function composeDomains(c: {
  life: Lifecycle;
  db: SqlDatabase;
  bus: MessageBus;
  rollups: RollupStore;
  /** The reading store: indexes read on rounds become the meters' readings. */
  readings?: ReadingStore;
  /** The live readings hub: an exchanged-in meter's readings continue its contract's register. */
  live?: LiveHub;
  topics: TopicScheme;
  registry: Registry;
  errors: ServiceErrors;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  options: DomainOptions;
}): Promise<ComposedDomains> {
  const { life, db, bus, rollups, options } = c;
  const features: GatewayFeature[] = [];
  // Constructed now so every service below can register its handlers; started last (runGatewayJobs).
  const jobs = createJobRunner({ redisUrl: options.redisUrl });

  let vending: VendingService | undefined;
  if (options.securityModule) {
    const security = options.securityModule;
    vending = await life.run(
      'vending',
      () =>
        new VendingService({
          db,
          vault: new KeyVault(security),
          reversalWindowMinutes: options.prepaid?.reversalWindowMinutes,
          delivery: new TokenDelivery({
            publisher: bus,
            subscriber: bus,
            topics: c.topics,
            log: { warn: (obj, msg) => c.log('warn', `${msg} ${JSON.stringify(obj)}`) },
          }),
        }).start(),
      (v) => v.stop(),
    );
    features.push({ plugin: vendingPlugin, options: { service: vending } });
  } else {
    c.log('warn', 'vending disabled: no METERGATE_MASTER_KEY or METERGATE_MASTER_KEY_FILE for the key vault');
  }

  // Schema-only services: their start migrates, they hold no connection or timer of their own.
  const holdsNothing = () => undefined;
  await life.run('analytics-schema', () => runMigrations(db, ANALYTICS_MIGRATIONS), holdsNothing);
  const notifier = await life.run(
    'notifier',
    async () => {
      const n = new Notifier({ db, channels: channels(options.notify, options.env) });
      await n.start();
      return n;
    },
    holdsNothing,
  );
  // Purchase by SMS: the token goes back through the message outbox.
  vending?.useSms((message) => notifier.outbox.send(message));
  // Postpaid billing extends the ledger's customers: the ledger schema first (vending may be off).
  await life.run('ledger-schema', () => runMigrations(db, LEDGER_MIGRATIONS), holdsNothing);
  const billing = await life.run(
    'billing',
    () =>
      billingFeature({
        db,
        jobs,
        send: (message) => notifier.outbox.send(message),
        publicUrl: options.publicUrl,
        linkSecret: options.env.METERGATE_BILL_LINK_SECRET,
        // Shared by every gateway node, so a provider's callback verifies on whichever node it lands.
        providerSecret: options.env.METERGATE_PAYMENT_SECRET,
        log: c.log,
      }).start(),
    (b) => b.stop(),
  );
  features.push(billing.feature);
  // The online agency (customers' accounts, bills, claims); refuses METERGATE_CAPTCHA_BYPASS in production.
  const agency = await life.run(
    'agency',
    () =>
      new AgencyFeature({
        db,
        send: (message) => notifier.outbox.send(message),
        env: options.env,
        publicUrl: options.publicUrl,
        payments: {
          start: (i) => billing.startCheckout(i),
          session: (id) => billing.checkout.getSession(id),
        },
      }).start(),
    (a) => a.stop(),
  );
  features.push(agency.feature);
  // Relay, set and read commands to the edges over the bus; outcomes from the edges' command events.
  const meterCommands = await life.run(
    'meter-commands',
    () =>
      new MeterCommandService({
        db,
        bus,
        topics: c.topics,
        knownMeter: async (meterId) =>
          (
            await db.query(
              'SELECT 1 FROM meters WHERE id = $1 UNION ALL SELECT 1 FROM meter_last_reading WHERE meter_id = $1 LIMIT 1',
              [meterId],
            )
          ).rows.length > 0,
        log: c.log,
      }).start(),
    (s) => s.stop(),
  );
  features.push({ plugin: commandsPlugin, options: { service: meterCommands } });
  const estimation = await life.run(
    'estimation',
    async () => {
      const e = new EstimationService({ db, rollups });
      await e.start();
      return e;
    },
    holdsNothing,
  );
  const selfReadings = await life.run(
    'self-readings',
    async () => {
      const s = new SelfReadingService({ db, rollups, estimation });
      await s.start();
      return s;
    },
    holdsNothing,
  );

  const customerOf = async (meterId: string) => {
    try {
      const { rows } = await db.query<{ customer_id: string }>(
        'SELECT customer_id FROM meters WHERE id = $1',
        [meterId],
      );
      return rows[0]?.customer_id;
    } catch (err) {
      // No ledger in this deployment (or the database is failing): nobody to notify, said and counted.
      c.errors.record('customer-lookup', err);
      return undefined;
    }
  };
  const anomalies = new SqlAnomalyStore({ db });
  agency.useMetering({ rollups, selfReadings, anomalies });
  const scanner = new AnomalyScanner({
    source: new SqlDailyBatchSource({ db }),
    store: anomalies,
    onOpened: notifyOnOpened(jobs, customerOf),
  });
  registerAnalyticsJobs({ runner: jobs, scanner, estimation, notifier });
  // Its subscription lives on the bus, which stops after it (and drops its handlers then).
  await life.run(
    'low-credit-alerts',
    () => new LowCreditAlerts({ bus, runner: jobs, topics: c.topics, customerOf }).start(),
    holdsNothing,
  );

  const field = await life.run(
    'field',
    () =>
      new FieldFeature({
        db,
        outbox: notifier.outbox,
        ...(c.readings ? { readings: c.readings } : {}),
        ...(c.live ? { live: c.live } : {}),
        ...(vending ? { vending } : {}),
        ...(options.notify.outage ? { rule: options.notify.outage } : {}),
        ...(options.map ? { map: options.map } : {}),
        bus: { bus, topics: c.topics },
        log: c.log,
        onError: (site, err) => c.errors.record(site, err),
      }).start(),
    (f) => f.stop(),
  );
  features.push(...field.plugins);
  linkConnectionRequests(agency, field);

  features.push(
    { plugin: exportsPlugin, options: { rollups } },
    { plugin: dashboardApiPlugin, options: { ledger: db, bus, topics: c.topics } },
    {
      plugin: metricsPlugin,
      options: {
        public: options.publicMetrics ?? false,
        registries: () => [c.registry, ...(options.metricsRegistries?.() ?? [])],
      },
    },
    { plugin: analyticsPlugin, options: { anomalies, comparison: new ConsumptionComparison({ db }) } },
    { plugin: estimationPlugin, options: { service: estimation } },
    { plugin: selfReadingsPlugin, options: { service: selfReadings } },
    { plugin: notifyPlugin, options: { notifier } },
    { plugin: outboxPlugin, options: { outbox: notifier.outbox } },
  );
  return {
    features,
    vending,
    billing,
    field,
    jobs,
    // The first scan runs at once, then every scanEveryHours; estimation of the last whole month
    // for meters without readings in it (and regularisation of resumed ones) once a day.
    schedule: async () => {
      await jobs.schedule('anomaly-scan', 'periodic-anomaly-scan', {
        everyMs: options.notify.scanEveryHours * HOUR_MS,
      });
      await jobs.schedule('estimation', 'daily-estimation', { everyMs: 24 * HOUR_MS });
    },
  };
}
