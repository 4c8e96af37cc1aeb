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
import { KeyVault } from '../../gateway/vending/index.js';
import { DEFAULT_TOPIC_PREFIX } from '../../protocol/index.js';
import { FleetRunner, MqttPrepaidMeter, type FleetConfig, type MeterGroup } from '../../simulators/index.js';
import { resolveConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { GatewayStack, securityModuleFor } from '../stack/index.js';
import { HISTORY_DAYS, backfillHistory } from './demo-history.js';
import { seedDemoLedger, type DemoApiKeys } from './demo-ledger.js';
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
): { tcp: number; rtu: number; iec: number; prepaid: number } {
  const prepaid = Math.max(1, Math.round(total * 0.2));
  const rtu = serial ? Math.min(8, Math.max(1, Math.round(total * 0.08))) : 0;
  const iec = serial ? Math.min(4, Math.max(1, Math.round(total * 0.04))) : 0;
  const tcp = Math.max(0, total - prepaid - rtu - iec);
  return { tcp, rtu, iec, prepaid };
}

const MAX_UNITS_PER_PORT = 247;

/**
 * `metergate demo`: the whole mission in one process with embedded defaults — the broker (aedes), the
 * gateway on PGlite with in-process jobs, a simulated fleet (Modbus TCP behind a concentrator, RTU
 * meters on a socat serial line, IEC 62056-21 meters, MQTT-native STS prepaid meters), an edge polling
 * the wired ones, and the dashboards.
 */
export class Demo {
  private readonly options: DemoOptions;
  private broker: MetergateBroker | undefined;
  private stack: GatewayStack | undefined;
  private fleet: FleetRunner | undefined;
  private edge: Edge | undefined;
  private prepaid: MqttPrepaidMeter[] = [];
  private pairs: SocatPair[] = [];
  private backfill: Promise<void> | undefined;

  constructor(options: DemoOptions) {
    this.options = options;
  }

  async start(): Promise<DemoBanner> {
    const o = this.options;
    const host = o.host ?? '127.0.0.1';
    const log = o.logger;
    const dataDir = resolve(o.dataDir);
    mkdirSync(dataDir, { recursive: true });
    if (!(await portFree(o.port, host))) throw new PortInUseError(o.port, '--port');
    const mqttPort = (await portFree(1883, '127.0.0.1')) ? 1883 : 0;

    const serial = socatAvailable();
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
      this.pairs.push(pair);
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
      this.pairs.push(pair);
      groups.push({
        ...base,
        model: 'generic-obis',
        count: 1,
        idPrefix: `IEC-${i + 1}-`,
        unitId: 1,
        iec: { path: pair.a, baud: 9600 },
      });
    }
    for (const pair of this.pairs) await pair.start();

    const fleetConfig: FleetConfig = { seed: 'metergate-demo', acceleration: 1, meters: groups };
    this.fleet = new FleetRunner({ config: fleetConfig });
    await this.fleet.start();
    const edgeMeters: MeterConfig[] = [];
    const pollSeconds = o.pollSeconds ?? 5;
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
          const pair = this.pairs.find((x) => ep.endpoint.startsWith(x.a))!;
          edgeMeters.push({
            id: meter.id,
            model: meter.model.model,
            transport: { type: 'rtu', path: pair.b, baud: 9600, parity: 'even', unitId: ep.unitIds[i]! },
            interval: pollSeconds,
          });
        } else {
          const pair = this.pairs.find((x) => x.a === ep.endpoint)!;
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
          passwordHash: await hashPassword(gatewayPassword),
        },
        {
          username: 'demo-edge',
          role: 'edge',
          meters: edgeMeters.map((m) => m.id),
          passwordHash: await hashPassword(edgePassword),
        },
        ...(await Promise.all(
          prepaidIds.map(async (id) => ({
            username: id,
            role: 'meter' as const,
            meters: [id],
            passwordHash: await hashPassword(meterPasswords.get(id)!),
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
      logger: log.child({ component: 'broker' }),
    });
    await this.broker.start();
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
    this.stack = new GatewayStack({
      config,
      securityModule,
      logger: log,
      mqttClientId: 'metergate-demo-gateway',
      metricsRegistries: () => [
        this.broker!.metrics.registry,
        ...(this.edge ? [this.edge.metrics.registry] : []),
      ],
    });
    await this.stack.start();
    const gateway = this.stack.gateway!;
    const { keys, prepaid } = await seedDemoLedger(gateway.db!, new KeyVault(securityModule), prepaidIds);

    // Two years of history per meter take a while to write: do it behind the live system, then scan.
    const historyMeters = [
      ...this.fleet.meters.map((m) => ({ id: m.id, profile: 'household' as const })),
      ...prepaidIds.map((id) => ({ id, profile: 'household' as const })),
    ];
    this.backfill = backfillHistory(gateway.rollups!, historyMeters, 'metergate-demo')
      .then(async (h) => {
        await this.stack?.jobs?.enqueue('anomaly-scan', {});
        log.warn(`demo history ready: ${h.meters} meters × ${h.days} days; anomaly scan queued`);
      })
      .catch((err: Error) => log.error(`demo history backfill failed: ${err.message}`));

    const edgeConfig: EdgeConfig = {
      edgeId: 'demo-edge',
      meters: edgeMeters,
      broker: { url: mqttUrl, username: 'demo-edge', password: edgePassword, clientId: 'demo-edge' },
      outbox: { dir: join(dataDir, 'edge-outbox') },
    };
    this.edge = new Edge({ config: edgeConfig, logger: log.child({ component: 'edge' }) });
    await this.edge.start();

    for (const m of prepaid) {
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
      await meter.start();
      this.prepaid.push(meter);
    }
    // Every prepaid customer starts with a purchase, delivered over MQTT to the connected meter.
    const vending = this.stack.vending!;
    for (const m of prepaid) {
      await vending
        .vend(
          { id: 'demo-bootstrap', role: 'vendor', vendorId: 'AGENCE-1' },
          { meterId: m.id, amount: 50, requestId: `demo-initial-${m.id}` },
        )
        .catch((err: Error) => log.warn({ meter: m.id }, `initial vend failed: ${err.message}`));
    }

    return {
      url: `http://${host}:${o.port}`,
      mqttUrl,
      keys,
      fleet: { modbusTcp: plan.tcp, modbusRtu: plan.rtu, iec62056: plan.iec, prepaidMqtt: plan.prepaid },
      history: { meters: historyMeters.length, days: HISTORY_DAYS },
    };
  }

  async stop(): Promise<void> {
    for (const m of this.prepaid) await m.stop().catch(() => {});
    this.prepaid = [];
    // The edge drains its outbox to the broker before the gateway stops, so nothing polled is lost.
    await this.edge?.stop();
    await this.fleet?.stop();
    for (const p of this.pairs) await p.stop();
    await this.backfill;
    await this.stack?.stop();
    await this.broker?.stop();
  }
}
