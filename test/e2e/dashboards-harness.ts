/**
 * The gateway the dashboards talk to, started for real in one process: an in-process aedes broker
 * and the `Gateway` (in-memory PGlite, MQTT bus, ingest pipeline into the reading store, live state,
 * rollups and the live hub, the fastify app with auth, meters and live stream), with vending,
 * exports, the dashboard API and the dashboards added through its `features` hook.
 * Readings arrive the way meters send them: JSON over MQTT (QoS 1), values from the simulators'
 * load model. Nothing is mocked.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import { dashboardsPlugin } from '../../dashboards/index.js';
import { TopicScheme, type MeterEvent, type Reading } from '../../protocol/index.js';
import { LoadProfile, dailyHistory, electricalAt } from '../../simulators/index.js';
import {
  ANALYTICS_MIGRATIONS,
  AnomalyScanner,
  ConsumptionComparison,
  SqlAnomalyStore,
  SqlDailyBatchSource,
  analyticsPlugin,
} from '../../gateway/metering/analytics/index.js';
import { dashboardApiPlugin } from '../../gateway/customers/dashboard-api/index.js';
import { runMigrations } from '../../gateway/platform/db/index.js';
import { SelfReadingService, selfReadingsPlugin } from '../../gateway/metering/self-readings/index.js';
import { exportsPlugin } from '../../gateway/customers/exports/index.js';
import { Gateway, type SqlDatabase } from '../../gateway/index.js';
import { startTestBroker } from '../../gateway/platform/bus/test-broker.js';
import type { SqlRollupStore } from '../../gateway/metering/rollups/index.js';
import { vendingPlugin } from '../../gateway/prepaid/vending/index.js';
import { buildWorld, type World } from '../../gateway/prepaid/vending/test-fixtures/world.js';
import { freePort } from '../support/services.js';

export interface DashboardHarness {
  baseUrl: string;
  db: SqlDatabase;
  world: World;
  topics: TopicScheme;
  app: FastifyInstance;
  rollups: SqlRollupStore;
  /** Publishes one reading of a meter over MQTT, values from the load model at `ts`. */
  publishReading(meterId: string, ts?: Date): Promise<Reading>;
  publishEvent(event: Omit<MeterEvent, 'v'>): Promise<void>;
  /** Resolves when the reading store holds at least `n` readings of the meter. */
  waitStored(meterId: string, n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const OBIS = {
  energy: '1-0:1.8.0',
  power: '1-0:1.7.0',
  voltage: '1-0:32.7.0',
  current: '1-0:31.7.0',
  frequency: '1-0:14.7.0',
};

export async function startDashboardHarness(options: { fleet?: number } = {}): Promise<DashboardHarness> {
  const run = randomBytes(3).toString('hex');
  const broker = await startTestBroker();
  const prefix = `mgdash-${run}/v1`;
  const topics = new TopicScheme(prefix);
  let world: World | undefined;
  let anomalies: SqlAnomalyStore | undefined;
  // The gateway process as the CLI runs it (in-memory PGlite, MQTT bus, ingest, HTTP), with this
  // harness's own feature plugins built on the started core services.
  const gateway = new Gateway({
    mqtt: { url: broker.url, prefix, clientId: `gw-${run}` },
    http: { host: '127.0.0.1', port: await freePort() },
    ingest: { batchIntervalMs: 20 },
    plugins: async (gw) => {
      const db = gw.db!;
      // Ledger: customers C1..C3 (C1 in the social programme), prepaid meters M1..M3 with vending
      // keys, API keys per role.
      world = await buildWorld(db, { meters: 3 });
      await runMigrations(db, ANALYTICS_MIGRATIONS);
      anomalies = new SqlAnomalyStore({ db });
      const selfReadings = new SelfReadingService({ db, rollups: gw.rollups! });
      await selfReadings.start();
      return [
        { plugin: vendingPlugin, options: { service: world.service } },
        { plugin: analyticsPlugin, options: { anomalies, comparison: new ConsumptionComparison({ db }) } },
        { plugin: selfReadingsPlugin, options: { service: selfReadings } },
        { plugin: dashboardApiPlugin, options: { ledger: db } },
        { plugin: exportsPlugin, options: { rollups: gw.rollups! } },
        { plugin: dashboardsPlugin, options: {} },
      ];
    },
  });
  await gateway.start();
  const db = gateway.db!;
  const rollups = gateway.rollups!;
  const store = gateway.store!;

  // Two years of daily history for M1 from the simulators' load model, so the meter view has the
  // same period last year and the customer view six full months.
  const today = new Date().toISOString().slice(0, 10);
  const from = new Date(Date.now() - 730 * 86_400_000).toISOString().slice(0, 10);
  const rows = [];
  for (const d of dailyHistory({
    meterId: 'M1',
    seed: 'dash',
    profile: 'household',
    from,
    to: today,
    initialKwh: 12_000,
  })) {
    rows.push({
      meterId: 'M1',
      obis: OBIS.energy,
      day: d.date,
      consumption: d.kwh,
      quality: 'measured' as const,
    });
  }
  // The last two weeks of M1 at three times the load model (a leak, say): the analytics scanner
  // compares them with the same weekdays a year earlier and opens a high-consumption anomaly.
  for (const r of rows.slice(-14)) r.consumption *= 3;
  await rollups.upsertDaily(rows);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await new AnomalyScanner({ source: new SqlDailyBatchSource({ db }), store: anomalies! }).scan({
    asOf: yesterday,
    obis: OBIS.energy,
  });
  const app = gateway.app!;

  const publisher: MqttClient = await mqtt.connectAsync(broker.url, {
    clientId: `meters-${run}`,
    clean: true,
  });
  const profiles = new Map<string, LoadProfile>();
  const seqs = new Map<string, number>();

  async function publishReading(meterId: string, ts = new Date()): Promise<Reading> {
    let profile = profiles.get(meterId);
    if (!profile)
      profiles.set(meterId, (profile = new LoadProfile({ kind: 'household', seed: 'dash', meterId })));
    const t = ts.getTime();
    const kw = profile.powerAt(t);
    const el = electricalAt(profile, 1, kw, t);
    const seq = (seqs.get(meterId) ?? 0) + 1;
    seqs.set(meterId, seq);
    const reading: Reading = {
      v: 1,
      meter: meterId,
      seq,
      ts: ts.toISOString(),
      values: {
        [OBIS.energy]:
          Math.round((12_000 + profile.energyBetween(t - 86_400_000 * 30, t).total) * 1000) / 1000,
        [OBIS.power]: Math.round(el.powerKw * 1000) / 1000,
        [OBIS.voltage]: Math.round(el.phases[0]!.voltage * 10) / 10,
        [OBIS.current]: Math.round(el.phases[0]!.current * 100) / 100,
        [OBIS.frequency]: Math.round(el.frequency * 100) / 100,
      },
      source: 'simulator',
    };
    await publisher.publishAsync(topics.reading(meterId), JSON.stringify(reading), { qos: 1 });
    return reading;
  }

  async function publishEvent(event: Omit<MeterEvent, 'v'>): Promise<void> {
    await publisher.publishAsync(topics.event(event.meter), JSON.stringify({ v: 1, ...event }), { qos: 1 });
  }

  async function waitStored(meterId: string, n: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await store.count({ meterId })) < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} readings of ${meterId}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  // The fleet: every ledger meter plus `fleet` more, one reading each.
  const fleetIds = [...world!.meters.map((m) => m.id)];
  for (let i = 1; i <= (options.fleet ?? 0); i++) fleetIds.push(`F-${String(i).padStart(4, '0')}`);
  await Promise.all(fleetIds.map((id) => publishReading(id, new Date(Date.now() - 1000))));
  await waitStored(fleetIds[fleetIds.length - 1]!, 1);
  for (const id of world!.meters.map((m) => m.id)) await waitStored(id, 1);

  return {
    baseUrl: gateway.url!,
    db,
    world: world!,
    topics,
    app,
    rollups,
    publishReading,
    publishEvent,
    waitStored,
    async stop() {
      await publisher.endAsync();
      await gateway.stop();
      await world?.service.stop();
      await broker.stop();
    },
  };
}
