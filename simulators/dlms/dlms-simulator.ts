import { dlmsFromHex, type CipherKeys } from '../../drivers/index.js';
import type { SerialPort } from 'serialport';
import { SimClock, type Clock } from '../model/clock.js';
import { openSerialLine } from '../modbus/open-serial.js';
import type { ProfileKind } from '../model/load-profile.js';
import { SimulatorError } from '../errors.js';
import { DlmsMeter } from './dlms-meter.js';
import { DlmsServer, type DlmsFaults, type DlmsSimTransport } from './dlms-server.js';
import { eventNotification, pushOnce } from './push-client.js';

/**
 * `metergate simulate --dlms HOST:PORT`: N meters on one port. The default keys are the DLMS UA's
 * published example keys (Green Book), clearly test material, printed at start; real deployments
 * pass their own with --dlms-ek / --dlms-ak.
 */
export const DEFAULT_DLMS_PASSWORD = 'metergate';
export const DEFAULT_DLMS_KEYS = {
  ek: '000102030405060708090a0b0c0d0e0f',
  ak: 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf',
} as const;

export interface DlmsSimulatorOptions {
  readonly meters: number;
  readonly transport?: DlmsSimTransport;
  readonly host?: string;
  readonly port?: number;
  readonly password?: string;
  readonly keys?: CipherKeys;
  readonly seed?: string | number;
  readonly profile?: ProfileKind;
  readonly clock?: Clock;
  readonly faults?: DlmsFaults;
  /** Fixed server challenge (replay tests only). */
  readonly challenge?: Uint8Array;
  readonly idPrefix?: string;
  /**
   * Where the meters push their power events (an edge's DLMS push listener): a meter whose supply
   * is cut pushes its last gasp there, and its power-up when the supply comes back.
   */
  readonly push?: { readonly host: string; readonly port: number };
}

export class DlmsSimulator {
  readonly meters: DlmsMeter[];
  readonly server: DlmsServer;
  readonly clock: Clock;
  private readonly push: DlmsSimulatorOptions['push'];
  private invokeId = 0;

  constructor(o: DlmsSimulatorOptions) {
    this.push = o.push;
    this.clock = o.clock ?? new SimClock();
    const start = this.clock.now();
    this.meters = Array.from(
      { length: o.meters },
      (_, i) =>
        new DlmsMeter({
          id: `${o.idPrefix ?? 'dlms-'}${String(i + 1).padStart(3, '0')}`,
          seed: o.seed ?? 1,
          profile: o.profile,
          clock: this.clock,
          start,
        }),
    );
    this.server = new DlmsServer({
      meters: this.meters,
      transport: o.transport ?? 'wrapper',
      host: o.host,
      port: o.port,
      seed: o.seed,
      faults: o.faults,
      security: {
        password: Buffer.from(o.password ?? DEFAULT_DLMS_PASSWORD, 'latin1'),
        keys: o.keys ?? { ek: dlmsFromHex(DEFAULT_DLMS_KEYS.ek), ak: dlmsFromHex(DEFAULT_DLMS_KEYS.ak) },
        challenge: o.challenge ? () => o.challenge! : undefined,
      },
    });
  }

  async start(): Promise<void> {
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
    for (const p of this.serial) await new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()));
  }

  private readonly serial: SerialPort[] = [];

  /** Also serve HDLC (and the mode E opening) on a serial line, e.g. one end of a pty pair. */
  async serveSerial(path: string, baudRate = 9600): Promise<void> {
    const port = await openSerialLine(
      { path, baudRate, dataBits: 8, parity: 'none', stopBits: 1 },
      () => undefined,
    );
    this.serial.push(port);
    this.server.serveHdlc(port, new Map());
  }

  get port(): number {
    return this.server.port;
  }

  /**
   * Cut (false) or restore (true) the supply of the meter `id`: unpowered, it answers no request;
   * the change is pushed as the standard event (1 power down, 2 power up) when a push destination
   * is set. Resolves when the push is written; a push that cannot be delivered rejects.
   */
  async setPower(id: string, on: boolean): Promise<void> {
    const meter = this.meters.find((m) => m.options.id === id);
    if (!meter) throw new SimulatorError('MG_ERR_SIM_STATE', `no DLMS meter ${id}`);
    if (meter.powered === on) return;
    meter.powered = on;
    if (!this.push) return;
    const apdu = eventNotification(meter, ++this.invokeId, on ? 'power-up' : 'power-down');
    await pushOnce(this.push.host, this.push.port, this.meters.indexOf(meter) + 1, apdu);
  }
}
