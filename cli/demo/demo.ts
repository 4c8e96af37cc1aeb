import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  createMetergateBroker,
  FileCredentialStore,
  hashPassword,
  type MetergateBroker,
} from '../../broker/index.js';
import { Edge, type EdgeConfig, type MeterConfig } from '../../drivers/index.js';
import { KeyVault } from '../../gateway/prepaid/vending/index.js';
import { DEFAULT_TOPIC_PREFIX } from '../../protocol/index.js';
import {
  DlmsSimulator,
  FleetRunner,
  MqttPrepaidMeter,
  type FleetConfig,
  type MeterGroup,
} from '../../simulators/index.js';
import { resolveConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { Lifecycle, type Gateway } from '../../gateway/index.js';
import { gatewayFromConfig, securityModuleFor } from '../stack/index.js';
import { HISTORY_DAYS, backfillHistory } from './demo-history.js';
import { demoPowerCut, seedDemoField, seedDemoRound, type PowerSwitch } from './demo-field.js';
import { DEMO_READER, DEMO_VENDOR, seedDemoLedger, type DemoApiKeys } from './demo-ledger.js';
import { seedDemoBillingHistory, seedDemoCustomers } from './demo-billing.js';
import { PortInUseError, portFree } from './ports.js';
import { SocatPair, socatAvailable } from './socat-pair.js';

export interface DemoOptions {
  port: number;
  meters: number;
  dataDir: string;
  host?: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Seconds between polls of each meter (default 5). */
  pollSeconds?: number;
  /** Progress of the history backfill (it runs behind the live system after the banner). */
  onHistoryProgress?: (done: number, total: number) => void;
}

export interface DemoBanner {
  url: string;
  mqttUrl: string;
  keys: DemoApiKeys;
  fleet: Record<string, number>;
  history: { meters: number; days: number };
}

/** Share of the fleet per kind of meter: Modbus TCP gets whatever the others leave. */
function fleetPlan(
  total: number,
  serial: boolean,
): { tcp: number; rtu: number; iec: number; prepaid: number; dlms: number } {
  const prepaid = Math.max(1, Math.round(total * 0.2));
  // DLMS/COSEM meters behind one concentrator port (wrapper), read by the edge like the others.
  const dlms = Math.min(10, Math.max(1, Math.round(total * 0.05)));
  const rtu = serial ? Math.min(8, Math.max(1, Math.round(total * 0.08))) : 0;
  const iec = serial ? Math.min(4, Math.max(1, Math.round(total * 0.04))) : 0;
  const tcp = Math.max(0, total - prepaid - rtu - iec - dlms);
  return { tcp, rtu, iec, prepaid, dlms };
}

const MAX_UNITS_PER_PORT = 247;

/**
 * The demo's device passwords are 18 random bytes made at each start, not words a person chose:
 * there is nothing for key stretching to protect, so they are hashed at scrypt's 2^10 rather than
 * the 2^14 of `metergate broker passwd`. 1 MB per hash instead of 16 MB, for the dozen hashes made
 * at start and the check of each connection.
 */
const DEMO_SCRYPT_LOG2N = 10;

/**
 * The embedded database sized for a demo's few tens of MB of data: PostgreSQL's buffer pool lives in
 * the WebAssembly heap, which never shrinks, and initdb's 128 MB of it ended up resident.
 */
const DEMO_PGLITE = { sharedBuffersMb: 16, youngGenerationMb: 8 } as const;

/**
 * `metergate demo`: the whole mission in one process with embedded defaults — the broker (aedes), the
 * gateway on PGlite with in-process jobs, a simulated fleet (Modbus TCP behind a concentrator, RTU
 * meters on a socat serial line, IEC 62056-21 meters, MQTT-native STS prepaid meters), an edge polling
 * the wired ones, and the dashboards.
 */
export class Demo {
  private readonly options: DemoOptions;
  private broker: MetergateBroker | undefined;
  private gateway: Gateway | undefined;
  private readonly backfillAbort = new AbortController();
  private fleet: FleetRunner | undefined;
  private edge: Edge | undefined;
  /** Everything the demo starts, in start order; stopped in reverse (see stop()). */
  private readonly life: Lifecycle;

  constructor(options: DemoOptions) {
    this.options = options;
    this.life = new Lifecycle({ log: (level, message) => options.logger[level](`demo: ${message}`) });
  }

  async start(): Promise<DemoBanner> {
    const o = this.options;
    const host = o.host ?? '127.0.0.1';
    const log = o.logger;
    const dataDir = resolve(o.dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (!(await portFree(o.port, host))) throw new PortInUseError(o.port, '--port');
    const mqttPort = (await portFree(1883, '127.0.0.1')) ? 1883 : 0;

    const serial = socatAvailable();
    const pairs: SocatPair[] = [];
    const plan = fleetPlan(o.meters, serial);
    const prepaidIds = Array.from({ length: plan.prepaid }, (_, i) => `PP-${String(i + 1).padStart(3, '0')}`);

    // Device identities: one password per device, per run; only their scrypt hashes reach the broker.
    const secret = () => randomBytes(18).toString('base64url');
    const gatewayPassword = secret();
    const edgePassword = secret();
    const meterPasswords = new Map(prepaidIds.map((id) => [id, secret()]));

    const groups: MeterGroup[] = [];
    const base = { profile: 'household' as const, faults: [], anomalies: [] };
    for (let start = 0, g = 0; start < plan.tcp; start += MAX_UNITS_PER_PORT, g++) {
      const count = Math.min(MAX_UNITS_PER_PORT, plan.tcp - start);
      groups.push({
        ...base,
        model: g % 2 ? 'em24' : 'sdm630',
        count,
        idPrefix: `TCP-${g + 1}-`,
        unitId: 1,
        modbusTcp: { host: '127.0.0.1', port: 0 },
        profile: g % 2 ? 'small-business' : 'household',
      });
    }
    if (plan.rtu) {
      const pair = new SocatPair(dataDir, 'rtu-bus');
      pairs.push(pair);
      groups.push({
        ...base,
        model: 'sdm120',
        count: plan.rtu,
        idPrefix: 'RTU-',
        unitId: 1,
        rtu: { path: pair.a, baud: 9600, parity: 'even' },
      });
    }
    for (let i = 0; i < plan.iec; i++) {
      const pair = new SocatPair(dataDir, `iec-${i + 1}`);
      pairs.push(pair);
      groups.push({
        ...base,
        model: 'generic-obis',
        count: 1,
        idPrefix: `IEC-${i + 1}-`,
        unitId: 1,
        iec: { path: pair.a, baud: 9600 },
      });
    }
    for (const pair of pairs) {
      await this.life.run(
        `socat ${pair.a}`,
        () => pair.start(),
        () => pair.stop(),
      );
    }

    const fleetConfig: FleetConfig = { seed: 'metergate-demo', acceleration: 1, meters: groups };
    this.fleet = await this.life.run(
      'simulated fleet',
      async () => {
        const fleet = new FleetRunner({ config: fleetConfig });
        await fleet.start();
        return fleet;
      },
      (fleet) => fleet.stop(),
    );
    const dlmsSim = plan.dlms
      ? await this.life.run(
          'DLMS meters',
          async () => {
            const sim = new DlmsSimulator({
              meters: plan.dlms,
              transport: 'wrapper',
              seed: 'metergate-demo',
            });
            await sim.start();
            return sim;
          },
          (sim) => sim.stop(),
        )
      : undefined;
    const edgeMeters: MeterConfig[] = [];
    const pollSeconds = o.pollSeconds ?? 5;
    dlmsSim?.meters.forEach((m, i) =>
      edgeMeters.push({
        id: m.options.id,
        interval: Math.max(pollSeconds, 10),
        transport: {
          type: 'dlms',
          host: '127.0.0.1',
          port: dlmsSim.port,
          server: i + 1,
          profile: {
            obis: '1.0.99.1.0.255',
            from: new Date(Date.now() - 86_400_000).toISOString(),
            everySeconds: 900,
          },
        },
      }),
    );
    for (const ep of this.fleet.endpoints()) {
      ep.meters.forEach((meter, i) => {
        if (ep.transport === 'modbus-tcp') {
          const [h, p] = [
            ep.endpoint.slice(0, ep.endpoint.lastIndexOf(':')),
            Number(ep.endpoint.slice(ep.endpoint.lastIndexOf(':') + 1)),
          ];
          edgeMeters.push({
            id: meter.id,
            model: meter.model.model,
            transport: { type: 'tcp', host: h, port: p, unitId: ep.unitIds[i]! },
            interval: pollSeconds,
          });
        } else if (ep.transport === 'modbus-rtu') {
          const pair = pairs.find((x) => ep.endpoint.startsWith(x.a))!;
          edgeMeters.push({
            id: meter.id,
            model: meter.model.model,
            transport: { type: 'rtu', path: pair.b, baud: 9600, parity: 'even', unitId: ep.unitIds[i]! },
            interval: pollSeconds,
          });
        } else {
          const pair = pairs.find((x) => x.a === ep.endpoint)!;
          edgeMeters.push({
            id: meter.id,
            transport: { type: 'iec', path: pair.b },
            interval: Math.max(pollSeconds, 10),
          });
        }
      });
    }

    const credentials = new FileCredentialStore({
      records: [
        {
          username: 'gateway',
          role: 'gateway',
          meters: [],
          passwordHash: await hashPassword(gatewayPassword, DEMO_SCRYPT_LOG2N),
        },
        {
          username: 'demo-edge',
          role: 'edge',
          meters: edgeMeters.map((m) => m.id),
          passwordHash: await hashPassword(edgePassword, DEMO_SCRYPT_LOG2N),
        },
        ...(await Promise.all(
          prepaidIds.map(async (id) => ({
            username: id,
            role: 'meter' as const,
            meters: [id],
            passwordHash: await hashPassword(meterPasswords.get(id)!, DEMO_SCRYPT_LOG2N),
          })),
        )),
      ],
    });
    await credentials.start();
    this.broker = createMetergateBroker({
      host: '127.0.0.1',
      port: mqttPort,
      credentials,
      topicPrefix: DEFAULT_TOPIC_PREFIX,
      // Durable sessions: readings queued for the gateway survive a restart of the demo.
      dataDir: join(dataDir, 'broker'),
      logger: log.child({ component: 'broker' }),
    });
    const broker = this.broker;
    await this.life.run(
      'broker',
      () => broker.start(),
      () => broker.stop(),
    );
    const mqttUrl = `mqtt://127.0.0.1:${this.broker.ports.tcp}`;

    const config = resolveConfig(
      {
        dataDir,
        log: { level: 'warn' },
        http: { host, port: o.port },
        mqtt: { url: mqttUrl, username: 'gateway', password: gatewayPassword },
      },
      'demo',
      {},
    );
    const securityModule = securityModuleFor(o.env ?? process.env, dataDir);
    const gateway = gatewayFromConfig(config, {
      securityModule,
      logger: log,
      // The broker binds client ids to identities: the gateway's own username, then a suffix.
      mqttClientId: 'gateway:demo',
      pglite: DEMO_PGLITE,
      metricsRegistries: () => [
        this.broker!.metrics.registry,
        ...(this.edge ? [this.edge.metrics.registry] : []),
      ],
    });
    this.gateway = gateway;
    await this.life.run(
      'gateway',
      () => gateway.start(),
      () => gateway.stop(),
    );
    const { keys, prepaid } = await seedDemoLedger(gateway.db!, new KeyVault(securityModule), prepaidIds);
    // The postpaid customers now (the banner names one for the agency); their bills behind the banner.
    await seedDemoCustomers(gateway.db!);
    // The fleet over a city district; POST /api/simulator/faults cuts these meters' power.
    const powerSwitches = new Map<string, PowerSwitch>(
      this.fleet.meters.map((m) => [m.id, (ms: number) => m.faults.goOffline(ms)]),
    );
    if (gateway.field) {
      await seedDemoField(gateway.field, gateway.db!, [
        ...this.fleet.meters.map((m) => ({ id: m.id, kind: 'postpaid' as const })),
        ...(dlmsSim?.meters.map((m) => ({ id: m.options.id, kind: 'postpaid' as const })) ?? []),
        ...prepaidIds.map((id) => ({ id, kind: 'prepaid' as const })),
      ]);
      gateway.field.useSimulator(demoPowerCut(() => powerSwitches));
      await seedDemoRound(gateway.field, DEMO_READER, new Date());
    }

    // The past takes seconds to write: the postpaid customers' bills since their subscription, then
    // two years of daily history per meter. Both run behind the live system, then the anomaly scan.
    const historyMeters = [
      ...this.fleet.meters.map((m) => ({ id: m.id, profile: 'household' as const })),
      ...prepaidIds.map((id) => ({ id, profile: 'household' as const })),
    ];
    const signal = this.backfillAbort.signal;
    const backfill = seedDemoBillingHistory(gateway.db!, { signal, log: (m) => log.warn(m) })
      .then(() =>
        backfillHistory(gateway.rollups!, historyMeters, 'metergate-demo', {
          signal,
          onProgress: o.onHistoryProgress,
        }),
      )
      .then(async (h) => {
        if (signal.aborted) return;
        await gateway.jobs?.enqueue('anomaly-scan', {});
        log.warn(`demo history ready: ${h.meters} meters × ${h.days} days; anomaly scan queued`);
      })
      .catch((err: Error) => log.error(`demo history backfill failed: ${err.message}`));
    // Aborted on stop between two meters (a few hundred milliseconds), then awaited.
    await this.life.run(
      'history backfill',
      () => undefined, // already running behind the live system: not awaited here
      async () => {
        this.backfillAbort.abort();
        await backfill;
      },
    );

    const edgeConfig: EdgeConfig = {
      edgeId: 'demo-edge',
      meters: edgeMeters,
      broker: { url: mqttUrl, username: 'demo-edge', password: edgePassword, clientId: 'demo-edge' },
      outbox: { dir: join(dataDir, 'edge-outbox') },
    };
    this.edge = new Edge({ config: edgeConfig, logger: log.child({ component: 'edge' }) });
    const edge = this.edge;
    // Stops before the gateway: it drains its outbox to the broker, so nothing polled is lost.
    await this.life.run(
      'edge',
      () => edge.start(),
      () => edge.stop(),
    );

    const prepaidMeters = prepaid.map((m) => {
      const meter = new MqttPrepaidMeter({
        meterId: m.id,
        meterKey: m.key,
        brokerUrl: mqttUrl,
        username: m.id,
        password: meterPasswords.get(m.id),
        readingIntervalMs: pollSeconds * 1000,
        // Ten times a household's load, so credit visibly drains and low-credit warnings happen.
        powerScale: 10,
      });
      powerSwitches.set(m.id, (ms) => meter.powerCut(ms));
      return meter;
    });
    // All connected at once (each one waits on its broker round trips, not on the CPU).
    await this.life.run(
      `${prepaidMeters.length} prepaid meters`,
      async () => {
        const started = await Promise.allSettled(prepaidMeters.map((meter) => meter.start()));
        const failed = started.find((r) => r.status === 'rejected');
        if (failed) {
          await Promise.allSettled(prepaidMeters.map((meter) => meter.stop()));
          throw failed.reason;
        }
        return prepaidMeters;
      },
      async (meters) => {
        await Promise.all(meters.map((meter) => meter.stop()));
      },
    );
    // Every prepaid customer starts with a purchase, delivered over MQTT to the connected meter.
    const vending = gateway.vending!;
    await Promise.all(
      prepaid.map((m) =>
        vending
          .vend(
            { id: 'demo-bootstrap', role: 'vendor', vendorId: DEMO_VENDOR },
            { meterId: m.id, amount: 50, requestId: `demo-initial-${m.id}` },
          )
          .catch((err: Error) => log.warn({ meter: m.id }, `initial vend failed: ${err.message}`)),
      ),
    );

    return {
      url: `http://${host}:${o.port}`,
      mqttUrl,
      keys,
      fleet: {
        modbusTcp: plan.tcp,
        modbusRtu: plan.rtu,
        iec62056: plan.iec,
        dlms: plan.dlms,
        prepaidMqtt: plan.prepaid,
      },
      history: { meters: historyMeters.length, days: HISTORY_DAYS },
    };
  }

  /**
   * Stops in reverse start order: the prepaid meters, the edge (draining its outbox to the broker),
   * the history backfill (aborted between meters), the gateway (ingest writes what it holds), the
   * broker, the fleet, the serial lines.
   */
  async stop(): Promise<void> {
    await this.life.stop();
  }
}
