/**
 * The postpaid chain with real components end to end: a simulated SDM630 served over Modbus TCP
 * (simulators) → the edge polling it (drivers) → the metergate MQTT broker with device passwords
 * (broker) → the gateway's ingest into the reading store and the daily rollups on a fresh
 * PostgreSQL database (gateway) → a prior-year anomaly found by the `AnomalyScanner` (gateway/analytics)
 * → a notification job (gateway/jobs on BullMQ/Redis, wired by gateway/analytics' jobs-wiring)
 * delivered by the webhook channel (gateway/notify) to a local HTTP receiver, whose HMAC signature the receiver verifies with `verifyWebhook`.
 *
 * Two years of daily history are seeded with a known jump over the recent week; the real readings
 * of today flow through the pipeline into today's rollup row, inside the scanned window.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMetergateBroker,
  FileCredentialStore,
  hashPassword,
  type MetergateBroker,
} from '../../broker/index.js';
import { createLogger } from '../../cli/logger.js';
import { Edge } from '../../drivers/index.js';
import {
  ANALYTICS_MIGRATIONS,
  AnomalyScanner,
  SqlAnomalyStore,
  SqlDailyBatchSource,
  anomalyNotification,
  notifyOnOpened,
  registerAnalyticsJobs,
} from '../../gateway/analytics/index.js';
import { Gateway, runMigrations, type DailyRow } from '../../gateway/index.js';
import { BullMqJobRunner, type JobEvent } from '../../gateway/jobs/index.js';
import {
  enqueueNotification,
  Notifier,
  SIGNATURE_HEADER,
  verifyWebhook,
  WebhookChannel,
} from '../../gateway/notify/index.js';
import { DEFAULT_TOPIC_PREFIX } from '../../protocol/index.js';
import { FleetRunner } from '../../simulators/index.js';
import { createTestDatabase } from '../support/postgres.js';
import { SERVICES, requireRedis } from '../support/services.js';
import { waitFor } from './support/http.js';
import { removeTempDirs, tempDir } from './support/processes.js';

const OBIS = '1-0:1.8.0';
const DAY = 86_400_000;
const CUSTOMER = 'CUST-POSTPAID-1';

interface Delivery {
  body: string;
  signature: string;
  idempotencyKey: string;
}

describe('postpaid chain: Modbus meter → edge → broker → ingest → rollups → prior-year anomaly → webhook', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let fleet: FleetRunner;
  let broker: MetergateBroker;
  let gateway: Gateway;
  let edge: Edge;
  let jobs: BullMqJobRunner | undefined;
  let receiver: Server;
  let webhookUrl: string;
  const received: Delivery[] = [];
  const webhookSecret = randomBytes(24).toString('hex');
  let meterId: string;

  beforeAll(async () => {
    await requireRedis();
    database = await createTestDatabase('e2e_postpaid');
    // The customer's webhook endpoint.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          body: Buffer.concat(chunks).toString('utf8'),
          signature: String(req.headers[SIGNATURE_HEADER]),
          idempotencyKey: String(req.headers['idempotency-key']),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/metergate`;

    // One simulated SDM630 on a Modbus TCP port.
    fleet = new FleetRunner({
      config: {
        seed: 'e2e-postpaid',
        acceleration: 1,
        meters: [
          {
            model: 'sdm630',
            count: 1,
            idPrefix: 'POST-',
            unitId: 1,
            modbusTcp: { host: '127.0.0.1', port: 0 },
            profile: 'household',
            faults: [],
            anomalies: [],
          },
        ],
      },
    });
    await fleet.start();
    const ep = fleet.endpoints()[0]!;
    meterId = ep.meters[0]!.id;
    const [host, port] = [
      ep.endpoint.slice(0, ep.endpoint.lastIndexOf(':')),
      Number(ep.endpoint.slice(ep.endpoint.lastIndexOf(':') + 1)),
    ];

    // The metergate broker with device identities: the gateway and an edge allowed for this meter.
    const gwPassword = randomBytes(12).toString('hex');
    const edgePassword = randomBytes(12).toString('hex');
    const credentials = new FileCredentialStore({
      records: [
        { username: 'gateway', role: 'gateway', meters: [], passwordHash: await hashPassword(gwPassword) },
        {
          username: 'edge-1',
          role: 'edge',
          meters: [meterId],
          passwordHash: await hashPassword(edgePassword),
        },
      ],
    });
    await credentials.start();
    const quiet = { info() {}, debug() {}, warn() {}, error() {} };
    broker = createMetergateBroker({
      host: '127.0.0.1',
      port: 0,
      credentials,
      topicPrefix: DEFAULT_TOPIC_PREFIX,
      logger: quiet as never,
    });
    await broker.start();
    const mqttUrl = `mqtt://127.0.0.1:${broker.ports.tcp}`;

    gateway = new Gateway({
      databaseUrl: database.url,
      store: 'postgres',
      mqtt: {
        url: mqttUrl,
        prefix: DEFAULT_TOPIC_PREFIX,
        username: 'gateway',
        password: gwPassword,
        clientId: `e2e-post-${randomBytes(3).toString('hex')}`,
      },
      http: false,
      ingest: { batchIntervalMs: 50 },
    });
    await gateway.start();

    edge = new Edge({
      config: {
        edgeId: 'edge-1',
        meters: [
          { id: meterId, model: 'sdm630', transport: { type: 'tcp', host, port, unitId: 1 }, interval: 1 },
        ],
        broker: { url: mqttUrl, username: 'edge-1', password: edgePassword, clientId: 'edge-1' },
        outbox: { dir: tempDir('postpaid-outbox') },
      },
      logger: createLogger('warn') as never,
    });
    await edge.start();
  }, 120_000);

  afterAll(async () => {
    await edge?.stop();
    await fleet?.stop();
    await jobs?.stop();
    await jobs?.obliterate().catch(() => {});
    await gateway?.stop();
    await broker?.stop();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await database?.drop();
    removeTempDirs();
  });

  it('finds the recent jump against the same week last year and notifies the customer once, signed', async () => {
    const db = gateway.db!;
    const today = new Date().toISOString().slice(0, 10);
    const todayMs = Date.parse(`${today}T00:00:00Z`);
    // Two years of history: ~10 kWh a day with a weekly pattern, and 40 kWh a day over the last six days.
    const rows: DailyRow[] = [];
    for (let d = 730; d >= 1; d--) {
      const day = new Date(todayMs - d * DAY).toISOString().slice(0, 10);
      const weekly = [0.9, 1, 1, 1, 1.05, 1.1, 0.95][new Date(todayMs - d * DAY).getUTCDay()]!;
      rows.push({
        meterId,
        obis: OBIS,
        day,
        consumption: d <= 6 ? 40 : Math.round(10 * weekly * 100) / 100,
        quality: 'measured',
      } as DailyRow);
    }
    await gateway.rollups!.upsertDaily(rows);

    // Real readings flow: the edge polls the Modbus meter, the gateway stores them and rolls today up.
    await waitFor(
      'readings of the Modbus meter in the store',
      async () => ((await gateway.store!.count({ meterId })) >= 3 ? true : undefined),
      60_000,
    );
    const todayRow = await waitFor(
      "today's rollup row built from the real readings",
      async () => {
        const { rows: r } = await db.query<{ samples: number; quality: string; last_value: number | null }>(
          'SELECT samples, quality, last_value FROM daily_consumption WHERE meter_id = $1 AND obis = $2 AND day = $3',
          [meterId, OBIS, today],
        );
        return r[0] && r[0].samples >= 2 ? r[0] : undefined;
      },
      30_000,
    );
    expect(todayRow.quality).toBe('measured');
    expect(todayRow.last_value).toBeGreaterThan(0);

    // Analytics and notifications wired as the gateway wires them (gateway/analytics jobs-wiring):
    // the anomaly-scan and notifications queues on BullMQ (real Redis, a prefix of this run), the
    // scanner's hook enqueueing a customer notification per newly opened anomaly.
    await runMigrations(db, ANALYTICS_MIGRATIONS);
    const notifier = new Notifier({ db, channels: [new WebhookChannel({ timeoutMs: 5000 })] });
    await notifier.start();
    await notifier.preferencesStore.set({
      customerId: CUSTOMER,
      language: 'en',
      channels: ['webhook'],
      webhookUrl,
      webhookSecret,
    });
    jobs = new BullMqJobRunner({
      redisUrl: SERVICES.redis,
      prefix: `mge2e-${randomBytes(4).toString('hex')}`,
    });
    const events: JobEvent[] = [];
    jobs.onEvent((e) => events.push(e));
    // Which customer a meter belongs to: the ledger's meters table in the product; one meter here.
    const customerOf = async (id: string) => (id === meterId ? CUSTOMER : undefined);
    const scanner = new AnomalyScanner({
      source: new SqlDailyBatchSource({ db }),
      store: new SqlAnomalyStore({ db }),
      onOpened: notifyOnOpened(jobs, customerOf),
    });
    registerAnalyticsJobs({ runner: jobs, scanner, notifier, obis: [OBIS] });
    await jobs.start();

    const scanJob = await jobs.enqueue('anomaly-scan', { asOf: today }, { jobId: `scan-1-${today}` });
    const scanned = await waitFor(
      'the anomaly-scan job',
      async () =>
        events.find((e) => e.queue === 'anomaly-scan' && e.id === scanJob && e.status !== 'retrying'),
      30_000,
      100,
    );
    expect(scanned.status, scanned.error).toBe('completed');
    expect(scanned.result).toEqual([{ meters: 1, opened: 1, updated: 0, detections: 1 }]);
    const [anomaly] = await new SqlAnomalyStore({ db }).list({ meterId } as never);
    expect(anomaly).toMatchObject({ meterId, obis: OBIS, kind: 'high_consumption', status: 'open' });
    expect(anomaly!.evidence.comparedWith).toBe('prior_year');

    // Delivered to the webhook, signed with the customer's secret.
    const delivery = await waitFor('the webhook delivery', async () => received[0], 20_000, 100);
    expect(verifyWebhook(webhookSecret, delivery.signature, delivery.body)).toBe(true);
    expect(verifyWebhook('not-the-secret', delivery.signature, delivery.body)).toBe(false);
    const body = JSON.parse(delivery.body) as {
      id: string;
      kind: string;
      customerId: string;
      text: string;
      data: Record<string, unknown>;
    };
    expect(body).toMatchObject({ kind: 'high_consumption', customerId: CUSTOMER, data: { meterId } });
    expect(body.text).toContain(meterId);
    expect(delivery.idempotencyKey).toBe(`anomaly-${anomaly!.id}-opened`);
    // The current window holds the six 40 kWh days plus today's real consumption; last year ~70 kWh.
    expect(Number(body.data.current)).toBeGreaterThanOrEqual(240);
    expect(Number(body.data.reference)).toBeLessThan(100);

    // Exactly once: the next scan updates the open anomaly instead of opening another, and the same
    // notification submitted again (a retried job) is not delivered again.
    const rescanJob = await jobs.enqueue('anomaly-scan', { asOf: today }, { jobId: `scan-2-${today}` });
    const rescanned = await waitFor(
      'the second anomaly-scan job',
      async () =>
        events.find((e) => e.queue === 'anomaly-scan' && e.id === rescanJob && e.status !== 'retrying'),
      30_000,
      100,
    );
    expect(rescanned.result).toEqual([{ meters: 1, opened: 0, updated: 1, detections: 1 }]);
    const resubmitted = await enqueueNotification(jobs, anomalyNotification(anomaly!, CUSTOMER));
    // A fresh job id too, so the notifier's own per-channel ledger is what stops the repeat.
    const resent = await jobs.enqueue('notifications', anomalyNotification(anomaly!, CUSTOMER), {
      jobId: `again-${anomaly!.id}`,
    });
    const outcome = await waitFor(
      'the resubmitted notification job',
      async () =>
        events.find((e) => e.queue === 'notifications' && e.id === resent && e.status !== 'retrying'),
      20_000,
      100,
    );
    expect(outcome.status).toBe('completed');
    expect(outcome.result).toMatchObject({ sent: [], skipped: ['webhook'] });
    expect(typeof resubmitted).toBe('string');
    expect(received).toHaveLength(1);
  });
});
