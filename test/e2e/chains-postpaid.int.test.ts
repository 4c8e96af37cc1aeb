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
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  createMetergateBroker,
  FileCredentialStore,
  hashPassword,
  type MetergateBroker,
} from '../../broker/index.js';
import { createLogger } from '../../cli/logger.js';
import { Edge } from '../../drivers/index.js';
import { Gateway } from '../../gateway/index.js';
import { DEFAULT_TOPIC_PREFIX } from '../../protocol/index.js';
import { FleetRunner } from '../../simulators/index.js';
import { createTestDatabase } from '../support/postgres.js';
import { requireRedis } from '../support/services.js';
import { runAnomalyToWebhook, seedPriorYearJump, waitTodayRow } from './support/anomaly-chain.js';
import { waitFor } from './support/http.js';
import { removeTempDirs, tempDir } from './support/processes.js';

describe('postpaid chain: Modbus meter → edge → broker → ingest → rollups → prior-year anomaly → webhook', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let fleet: FleetRunner;
  let broker: MetergateBroker;
  let gateway: Gateway;
  let edge: Edge;
  let meterId: string;

  beforeAll(async () => {
    await requireRedis();
    database = await createTestDatabase('e2e_postpaid');
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
    await gateway?.stop();
    await broker?.stop();
    await database?.drop();
    removeTempDirs();
  });

  it('finds the recent jump against the same week last year and notifies the customer once, signed', async () => {
    // Two years of history with a known jump over the last six days; real readings make today's row.
    await seedPriorYearJump(gateway.rollups!, meterId);
    await waitFor(
      'readings of the Modbus meter in the store',
      async () => ((await gateway.store!.count({ meterId })) >= 3 ? true : undefined),
      60_000,
    );
    await waitTodayRow(gateway.db!, meterId);
    await runAnomalyToWebhook(gateway.db!, meterId);
  });
});
