/**
 * The postpaid chain's analytics half, shared by the in-process and the distributed tests: two years
 * of daily rollups with a known jump over the last six days (`seedPriorYearJump`), today's row built
 * by the gateway from real readings (`waitTodayRow`), then the anomaly scan and the customer
 * notification as gateway/analytics wires them (`registerAnalyticsJobs`, `notifyOnOpened`) on BullMQ
 * (real Redis, a key prefix of this run), delivered by the webhook channel to a local HTTP receiver
 * that checks the HMAC signature with `verifyWebhook` — exactly once.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import {
  ANALYTICS_MIGRATIONS,
  AnomalyScanner,
  SqlAnomalyStore,
  SqlDailyBatchSource,
  anomalyNotification,
  notifyOnOpened,
  registerAnalyticsJobs,
} from '../../../gateway/metering/analytics/index.js';
import { runMigrations, type DailyRow, type SqlDatabase } from '../../../gateway/index.js';
import { BullMqJobRunner, type JobEvent } from '../../../gateway/platform/jobs/index.js';
import {
  enqueueNotification,
  Notifier,
  SIGNATURE_HEADER,
  verifyWebhook,
  WebhookChannel,
} from '../../../gateway/platform/notify/index.js';
import { SERVICES } from '../../support/services.js';
import { waitFor } from './http.js';

export const OBIS = '1-0:1.8.0';
const DAY = 86_400_000;

interface Delivery {
  body: string;
  signature: string;
  idempotencyKey: string;
}

export function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

/** ~10 kWh a day with a weekly pattern for two years, and 40 kWh a day over the last six days. */
export async function seedPriorYearJump(
  rollups: { upsertDaily(rows: DailyRow[]): Promise<unknown> },
  meterId: string,
  today = utcToday(),
): Promise<void> {
  const todayMs = Date.parse(`${today}T00:00:00Z`);
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
  await rollups.upsertDaily(rows);
}

/** Today's rollup row, built by the gateway's rollup engine from at least two real readings. */
export async function waitTodayRow(db: SqlDatabase, meterId: string, today = utcToday()): Promise<void> {
  const todayRow = await waitFor(
    `today's rollup row of ${meterId} built from the real readings`,
    async () => {
      const { rows: r } = await db.query<{ samples: number; quality: string; last_value: number | null }>(
        'SELECT samples, quality, last_value FROM daily_consumption WHERE meter_id = $1 AND obis = $2 AND day = $3',
        [meterId, OBIS, today],
      );
      return r[0] && r[0].samples >= 2 ? r[0] : undefined;
    },
    60_000,
  );
  expect(todayRow.quality).toBe('measured');
  expect(todayRow.last_value).toBeGreaterThan(0);
}

/** Scan, notify, verify the signed delivery, and check a rescan and a resubmission send nothing more. */
export async function runAnomalyToWebhook(
  db: SqlDatabase,
  meterId: string,
  /** Meters with rollups in the database (all are scanned; only `meterId` has the jump). */
  fleetSize = 1,
  today = utcToday(),
): Promise<void> {
  const CUSTOMER = `CUST-${meterId}`;
  const received: Delivery[] = [];
  const webhookSecret = randomBytes(24).toString('hex');
  // The customer's webhook endpoint.
  const receiver = createServer((req, res) => {
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
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/metergate`;
  let jobs: BullMqJobRunner | undefined;
  try {
    // Analytics and notifications wired as the gateway wires them (gateway/analytics jobs-wiring):
    // the anomaly-scan and notifications queues on BullMQ (real Redis, a prefix of this run), the
    // scanner's hook enqueueing a customer notification per newly opened anomaly.
    await runMigrations(db, ANALYTICS_MIGRATIONS);
    const notifier = new Notifier({
      db,
      channels: [new WebhookChannel({ timeoutMs: 5000, allowHttp: true, allowPrivateAddresses: true })],
    });
    await notifier.start();
    await notifier.preferencesStore.set({
      customerId: CUSTOMER,
      language: 'en',
      channels: ['webhook'],
      webhookUrl,
      webhookSecret,
    });
    const runner = new BullMqJobRunner({
      redisUrl: SERVICES.redis,
      prefix: `mge2e-${randomBytes(4).toString('hex')}`,
    });
    jobs = runner;
    const events: JobEvent[] = [];
    runner.onEvent((e) => events.push(e));
    // Which customer a meter belongs to: the ledger's meters table in the product; one meter here.
    const customerOf = async (id: string) => (id === meterId ? CUSTOMER : undefined);
    const scanner = new AnomalyScanner({
      source: new SqlDailyBatchSource({ db }),
      store: new SqlAnomalyStore({ db }),
      onOpened: notifyOnOpened(runner, customerOf),
    });
    registerAnalyticsJobs({ runner, scanner, notifier, obis: [OBIS] });
    await runner.start();

    const scanJob = await runner.enqueue('anomaly-scan', { asOf: today }, { jobId: `scan-1-${today}` });
    const scanned = await waitFor(
      'the anomaly-scan job',
      async () =>
        events.find((e) => e.queue === 'anomaly-scan' && e.id === scanJob && e.status !== 'retrying'),
      30_000,
      100,
    );
    expect(scanned.status, scanned.error).toBe('completed');
    expect(scanned.result).toEqual([{ meters: fleetSize, opened: 1, updated: 0, detections: 1 }]);
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
    const rescanJob = await runner.enqueue('anomaly-scan', { asOf: today }, { jobId: `scan-2-${today}` });
    const rescanned = await waitFor(
      'the second anomaly-scan job',
      async () =>
        events.find((e) => e.queue === 'anomaly-scan' && e.id === rescanJob && e.status !== 'retrying'),
      30_000,
      100,
    );
    expect(rescanned.result).toEqual([{ meters: fleetSize, opened: 0, updated: 1, detections: 1 }]);
    const resubmitted = await enqueueNotification(runner, anomalyNotification(anomaly!, CUSTOMER));
    // A fresh job id too, so the notifier's own per-channel ledger is what stops the repeat.
    const resent = await runner.enqueue('notifications', anomalyNotification(anomaly!, CUSTOMER), {
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
  } finally {
    await jobs?.stop();
    await jobs?.obliterate().catch(() => {});
    await new Promise<void>((r) => receiver.close(() => r()));
  }
}
