import { SimulatorError } from '../errors.js';
import { Iec62056Simulator } from '../iec62056/iec-server.js';
import { ModbusRtuSimulator } from '../modbus/rtu-server.js';
import { ModbusTcpSimulator } from '../modbus/tcp-server.js';
import { SimClock } from '../model/clock.js';
import { SimulatedMeter } from '../model/simulated-meter.js';
import type { FleetConfig, MeterGroup } from './fleet-config.js';

/**
 * Runs a fleet: builds the meters of every group on one shared clock, groups them by endpoint (one
 * TCP server per host:port, one RTU line per path, one IEC line per meter) and starts the servers.
 */
export interface FleetRunnerOptions {
  readonly config: FleetConfig;
  /** Emulate serial character timing (default true). */
  readonly emulateTiming?: boolean;
}

export type FleetServer = ModbusTcpSimulator | ModbusRtuSimulator | Iec62056Simulator;

export interface ServedEndpoint {
  readonly transport: 'modbus-tcp' | 'modbus-rtu' | 'iec62056-21';
  /** `host:port` or serial path. */
  readonly endpoint: string;
  readonly unitIds: readonly number[];
  readonly meters: readonly SimulatedMeter[];
}

export class FleetRunner {
  readonly options: FleetRunnerOptions;
  readonly clock: SimClock;
  readonly meters: SimulatedMeter[] = [];
  private servers: { server: FleetServer; describe: () => ServedEndpoint }[] = [];
  private started = false;

  constructor(options: FleetRunnerOptions) {
    this.options = options;
    this.clock = new SimClock({
      acceleration: options.config.acceleration,
      ...(options.config.start !== undefined ? { start: options.config.start } : {}),
    });
  }

  private build(group: MeterGroup, index: number): SimulatedMeter {
    const id = `${group.idPrefix}${index + 1}`;
    return new SimulatedMeter({
      id,
      model: group.model,
      seed: this.options.config.seed,
      profile: group.profile,
      clock: this.clock,
      faults: group.faults,
      anomalies: group.anomalies,
      ...(group.annualKwh !== undefined ? { annualKwh: group.annualKwh } : {}),
      ...(group.initialKwh !== undefined ? { initialKwh: group.initialKwh } : {}),
    });
  }

  async start(): Promise<void> {
    if (this.started) throw new SimulatorError('MG_ERR_SIM_STATE', 'fleet already started');
    this.started = true;
    const tcp = new Map<string, { host: string; port: number; meters: Map<number, SimulatedMeter> }>();
    const rtu = new Map<string, { group: MeterGroup; meters: Map<number, SimulatedMeter> }>();
    const timing = this.options.emulateTiming ?? true;
    for (const [g, group] of this.options.config.meters.entries()) {
      for (let i = 0; i < group.count; i++) {
        const meter = this.build(group, i);
        this.meters.push(meter);
        const unit = group.unitId + i;
        if (group.modbusTcp) {
          const { host, port, portPerMeter } = group.modbusTcp;
          const p = portPerMeter && port !== 0 ? port + i : port;
          // Port 0 means "any free port": one per group (or per meter with portPerMeter), never shared.
          const key = p === 0 ? `${host}:0#${g}${portPerMeter ? `/${i}` : ''}` : `${host}:${p}`;
          const entry = tcp.get(key) ?? { host, port: p, meters: new Map() };
          entry.meters.set(portPerMeter ? group.unitId : unit, meter);
          tcp.set(key, entry);
        } else if (group.rtu) {
          const entry = rtu.get(group.rtu.path) ?? { group, meters: new Map() };
          entry.meters.set(unit, meter);
          rtu.set(group.rtu.path, entry);
        } else if (group.iec) {
          const server = new Iec62056Simulator({
            path: group.iec.path,
            meter,
            baud: group.iec.baud,
            emulateTiming: timing,
          });
          this.servers.push({
            server,
            describe: () => ({
              transport: 'iec62056-21',
              endpoint: group.iec!.path,
              unitIds: [],
              meters: [meter],
            }),
          });
        }
      }
    }
    for (const { host, port, meters } of tcp.values()) {
      const server = new ModbusTcpSimulator({ host, port, meters });
      this.servers.push({
        server,
        describe: () => ({
          transport: 'modbus-tcp',
          endpoint: `${server.address.host}:${server.address.port}`,
          unitIds: [...meters.keys()],
          meters: [...meters.values()],
        }),
      });
    }
    for (const [path, { group, meters }] of rtu) {
      const server = new ModbusRtuSimulator({
        path,
        baud: group.rtu!.baud,
        parity: group.rtu!.parity,
        meters,
        emulateTiming: timing,
      });
      this.servers.push({
        server,
        describe: () => ({
          transport: 'modbus-rtu',
          endpoint: `${path}@${group.rtu!.baud}`,
          unitIds: [...meters.keys()],
          meters: [...meters.values()],
        }),
      });
    }
    try {
      for (const { server } of this.servers) await server.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** What is being served, for the CLI banner and for tests that need the bound ports. */
  endpoints(): ServedEndpoint[] {
    return this.servers.map((s) => s.describe());
  }

  /** The started server objects (their stats count requests, exceptions and faults). */
  get serverInstances(): readonly FleetServer[] {
    return this.servers.map((s) => s.server);
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    this.servers = [];
    await Promise.all(servers.map(({ server }) => server.stop()));
  }
}
